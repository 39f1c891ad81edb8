"""Benchmark: `inspect_document` on generated certificate scans, against one plain Pillow decode.

    python -m tests.benchmarks.validator_checks [--documents 8] [--rounds 5]

For each kind of upload (JPEG scans of A4 at 150 and 300 dpi, generated certificates set in real
type at 100-300 dpi, a text PDF, a scanned PDF) prints the documents/s of `inspect_document` (every
rule, no OCR, one thread), and for the JPEGs:
- the raw baseline: one full Pillow decode of the same files (`Image.open(...).load()`), measured in
  the same run, and the ratio inspect : decode (target: at least 0.80);
- where the time goes: the validator's own decode alone (straight to grey, DCT-scaled for large
  scans), the reduction to the working scale (Pillow's BOX filter, on which the sharpness threshold
  is calibrated), and the clarity measures on the working page.
Best of `--rounds` rounds over the same files. Prints; does not assert. `measure()` returns the
figures as data.
"""

import argparse
import io
import time
from collections.abc import Callable

from PIL import Image

from services.validator.inspection.checks import (
    CheckLimits,
    _draft_request,
    _to_working_scale,
    inspect_document,
    measure_page,
    passed,
)
from tests import documents
from tests.benchmarks.figures import Figure, table
from tests.certificate_scans import certificate_scans

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


def grey_page(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        image.draft("L", _draft_request(*image.size))
        return image.convert("L")


def upload_kinds(count: int) -> dict[str, list[bytes]]:
    return {
        "JPEG 1240x1754 (A4 150 dpi)": [documents.jpeg_bytes(1240, 1754, seed=seed) for seed in range(count)],
        "JPEG 2480x3508 (A4 300 dpi)": [documents.jpeg_bytes(2480, 3508, seed=seed) for seed in range(count)],
        "JPEG certificates 100-300 dpi": [scan.data for scan in certificate_scans(count)],
        "PDF text, 1 page": [documents.text_pdf_bytes(1)] * count,
        "PDF scan, A4 150 dpi": [documents.scanned_pdf_bytes(seed=seed) for seed in range(count)],
    }


def measure(count: int = 8, rounds: int = 5, echo: bool = False) -> list[Figure]:
    """inspect_document's rate per kind of upload; for JPEGs beside a full Pillow decode of the same
    files in the same run, with the share of each step."""
    if echo:
        print(f"generating {count} files of each kind ...", flush=True)
        print(
            f"{'upload':<30} {'KiB':>6} {'inspect/s':>10} {'decode/s':>9} {'inspect : decode':>17}"
            f" {'grey decode/s':>14} {'reduce/s':>9} {'measures/s':>11}"
        )
    figures: list[Figure] = []
    mix: list[bytes] = []
    for kind, files in upload_kinds(count).items():
        mix.extend(files)
        size_kib = sum(map(len, files)) / len(files) / 1024
        inspected = best_rate(inspect, files, rounds)
        if not kind.startswith("JPEG"):
            figures.append(Figure(f"checks, {kind}", inspected, "documents/s"))
            if echo:
                print(f"{kind:<30} {size_kib:>6.0f} {inspected:>10.1f} {'-':>9} {'-':>17}")
            continue
        decoded = best_rate(full_decode, files, rounds)
        grey = best_rate(grey_decode, files, rounds)
        pages = [grey_page(data) for data in files]
        reduced = best_rate(_to_working_scale, pages, rounds)  # type: ignore[arg-type]
        working = [_to_working_scale(page) for page in pages]
        measured = best_rate(measure_page, working, rounds)  # type: ignore[arg-type]
        figures.append(
            Figure(
                f"checks, {kind}",
                inspected,
                "documents/s",
                decoded,
                "Pillow full decode",
                target=0.8,
                target_kind="ratio_at_least",
            )
        )
        if echo:
            print(
                f"{kind:<30} {size_kib:>6.0f} {inspected:>10.1f} {decoded:>9.1f} {inspected / decoded:>16.2f}x"
                f" {grey:>14.1f} {reduced:>9.1f} {measured:>11.1f}"
            )
    figures.append(Figure("checks, mix of the above", best_rate(inspect, mix, rounds), "documents/s"))
    return figures


def bench() -> list[Figure]:
    """For `make bench`: 6 files of each kind, best of 3 rounds."""
    return measure(count=6, rounds=3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=8, help="distinct files per kind")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    figures = measure(args.documents, args.rounds, echo=True)
    print()
    print("validator checks without OCR, one thread")
    print(table(figures))


if __name__ == "__main__":
    main()
