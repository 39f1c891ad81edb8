"""`make bench`: every benchmark at a size that finishes in a few minutes, one table.

    python -m tests.benchmarks [--only pipeline feed_ingest ...] [--list]

Each benchmark module exposes `bench() -> list[Figure]`: it starts what it needs on a fresh stack,
measures the system and, in the same run on the same servers, the raw part underneath. This runner
calls them one after another (never two at once: on a 2-core machine they would measure each
other), prints one table — figure, value, raw baseline, ratio, target, pass/short — and writes it as
JSON under .mumaris/bench/ so two runs can be compared. A benchmark that fails is a row saying so,
and the runner exits non-zero after printing everything else: a missing figure is not a pass.

Each module's own command line (`python -m tests.benchmarks.<name> --help`) runs bigger sizes.
"""

import argparse
import importlib
import os
import sys
import time
import traceback

from tests.benchmarks.figures import Figure, save, table

# In the order they run: the quick, process-local ones first, the whole pipeline last.
BENCHMARKS = (
    "validator_checks",
    "name_matching",
    "review_queue",
    "feed_ingest",
    "intake_uploads",
    "portal_pages",
    "register_lookup",
    "sweeps",
    "validator_scaling",
    "pipeline",
)


def run_one(name: str) -> tuple[list[Figure], str | None]:
    """The module's figures, or the reason there are none."""
    try:
        module = importlib.import_module(f"tests.benchmarks.{name}")
    except ModuleNotFoundError as missing:
        if missing.name == f"tests.benchmarks.{name}":
            return [], "not written yet"
        raise
    if not hasattr(module, "bench"):
        return [], "has no bench()"
    try:
        return list(module.bench()), None
    except Exception as error:  # a failed benchmark is a row of the table, not the end of the run
        traceback.print_exc()
        return [], f"failed: {type(error).__name__}: {error}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=None)
    parser.add_argument("--list", action="store_true", help="name the benchmarks and stop")
    args = parser.parse_args()
    if args.list:
        print("\n".join(BENCHMARKS))
        return
    chosen = args.only or list(BENCHMARKS)
    figures: list[Figure] = []
    missing: dict[str, str] = {}
    started = time.monotonic()
    for name in chosen:
        print(f"\n=== {name} (load average {os.getloadavg()[0]:.1f}) ===", flush=True)
        begun = time.monotonic()
        found, trouble = run_one(name)
        figures.extend(found)
        if trouble:
            missing[name] = trouble
        print(f"=== {name}: {len(found)} figure(s) in {time.monotonic() - begun:.0f} s ===", flush=True)
    print(f"\nmake bench: {len(chosen)} benchmark(s) in {time.monotonic() - started:.0f} s, {os.cpu_count()} CPUs")
    print(table(figures))
    for name, trouble in missing.items():
        print(f"  {name}: {trouble}")
    print(f"\nwritten to {save(figures, 'bench')}")
    short = [f.name for f in figures if f.verdict == "short"]
    if short:
        print(f"short of target: {len(short)} of {sum(1 for f in figures if f.target is not None)}")
    failed = {name: trouble for name, trouble in missing.items() if trouble.startswith("failed")}
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
