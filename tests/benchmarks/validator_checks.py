"""Benchmark: `inspect_document` on generated certificate scans, against one plain Pillow decode.

    python -m tests.benchmarks.validator_checks [--documents 8] [--rounds 5]

For each kind of upload (JPEG scans of A4 at 150 and 300 dpi, a text PDF, a scanned PDF) prints
the documents/s of `inspect_document` (every rule, one thread), and for the JPEGs:
- the rate of one full Pillow decode of the same files (`Image.open(...).load()`) and the ratio
  inspect : decode;
- the rate of the validator's own decode alone (straight to grey, DCT-scaled for large scans), so
  the rest (reduction to the working scale, the clarity measures) can be read as the difference.
Best of `--rounds` rounds over the same files. Prints; does not assert.
"""

import argparse
import io
import time
from collections.abc import Callable

from PIL import Image

from services.validator.inspection.checks import (
    CheckLimits,
    _draft_request,
    inspect_document,
    passed,
)
from tests import documents

LIMITS = CheckLimits(max_bytes=10 * 1024 * 1024)


def best_rate(work: Callable[[bytes], object], files: list[bytes], rounds: int) -> float:
    """Files per second over `files`, the best of `rounds` rounds."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for data in files:
            work(data)
        best = min(best, time.perf_counter() - started)
    return len(files) / best


def full_decode(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        image.load()


def grey_decode(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        image.draft("L", _draft_request(*image.size))
        image.load()


def inspect(data: bytes) -> None:
    report = inspect_document(data, LIMITS)
    if not passed(report.findings):  # the benchmark measures accepted scans, as most uploads are
        raise SystemExit(f"unexpected refusal: {report.findings}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=8, help="distinct files per kind")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    count = args.documents

    print(f"generating {count} files of each kind ...", flush=True)
    kinds: dict[str, list[bytes]] = {
        "JPEG 1240x1754 (A4 150 dpi)": [documents.jpeg_bytes(1240, 1754, seed=seed) for seed in range(count)],
        "JPEG 2480x3508 (A4 300 dpi)": [documents.jpeg_bytes(2480, 3508, seed=seed) for seed in range(count)],
        "PDF text, 1 page": [documents.text_pdf_bytes(1)] * count,
        "PDF scan, A4 150 dpi": [documents.scanned_pdf_bytes(seed=seed) for seed in range(count)],
    }

    print(f"{'upload':<30} {'KiB':>6} {'inspect/s':>10} {'decode/s':>9} {'inspect : decode':>17} {'grey decode/s':>14}")
    mix: list[bytes] = []
    for kind, files in kinds.items():
        mix.extend(files)
        size_kib = sum(map(len, files)) / len(files) / 1024
        inspected = best_rate(inspect, files, args.rounds)
        if kind.startswith("JPEG"):
            decoded = best_rate(full_decode, files, args.rounds)
            grey = best_rate(grey_decode, files, args.rounds)
            print(
                f"{kind:<30} {size_kib:>6.0f} {inspected:>10.1f} {decoded:>9.1f} {inspected / decoded:>16.2f}x"
                f" {grey:>14.1f}"
            )
        else:
            print(f"{kind:<30} {size_kib:>6.0f} {inspected:>10.1f} {'-':>9} {'-':>17}")
    print(f"{'mix of the above':<30} {'':>6} {best_rate(inspect, mix, args.rounds):>10.1f}")


if __name__ == "__main__":
    main()
