"""Calibration of the validator's sharpness threshold against what OCR can still read.

    python -m tests.benchmarks.validator_calibration [--jobs 4]

Renders certificates in real type (A4 at 100, 150 and 300 dpi; a full page of text and a sparse
one; with and without camera noise added after the blur), blurs them by a growing Gaussian radius,
runs each through `inspect_document`, and reads the page it hands on (the working-scale image the
OCR step receives) with Tesseract. Prints, per case, the sharpness and contrast scores, the share of
body words Tesseract recovered, and the verdict under the default limits; then the lowest score of
a readable page (recall >= 0.9) and the highest of an unreadable one (recall < 0.5), between which
`min_sharpness` has to sit. Needs the `tesseract` binary with English data; prints, does not assert.
"""

import argparse
import io
import shutil
import subprocess
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from services.validator.inspection.checks import CheckLimits, inspect_document
from tests.documents import text_certificate_jpeg_bytes, text_certificate_words

RADII = (0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0)
LIMITS = CheckLimits(max_bytes=50_000_000)


@dataclass(frozen=True)
class Case:
    dpi: int
    lines: int
    noise: float
    blur: float


@dataclass(frozen=True)
class Outcome:
    case: Case
    sharpness: float
    contrast: float
    recall: float
    refused_as_blurry: bool


def measure(case: Case) -> Outcome:
    data = text_certificate_jpeg_bytes(case.dpi, lines=case.lines, blur=case.blur, noise=case.noise)
    report = inspect_document(data, LIMITS)
    scores = {finding.rule: finding for finding in report.findings}
    assert report.page is not None
    return Outcome(
        case=case,
        sharpness=scores["image.sharpness"].score or 0.0,
        contrast=scores["image.contrast"].score or 0.0,
        recall=word_recall(ocr(report.page), text_certificate_words(case.lines)),
        refused_as_blurry=scores["image.sharpness"].code == "image.blurry",
    )


def ocr(page) -> list[str]:
    buffer = io.BytesIO()
    page.save(buffer, "PNG")
    result = subprocess.run(
        ["tesseract", "stdin", "stdout", "-l", "eng", "--psm", "6"],
        input=buffer.getvalue(),
        capture_output=True,
        check=True,
    )
    return [word.strip(".,;:").lower() for word in result.stdout.decode(errors="replace").split()]


def word_recall(found: list[str], expected: list[str]) -> float:
    found_counts, expected_counts = Counter(found), Counter(expected)
    recovered = sum(min(found_counts[word], count) for word, count in expected_counts.items())
    return recovered / len(expected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=4)
    args = parser.parse_args()
    if shutil.which("tesseract") is None:
        raise SystemExit("tesseract is not installed")

    cases = [
        Case(dpi, lines, noise, blur)
        for dpi in (100, 150, 300)
        for lines in (40, 6)
        for noise in (0.0, 3.0)
        for blur in RADII
    ]
    with ProcessPoolExecutor(args.jobs) as pool:
        outcomes = list(pool.map(measure, cases))

    print(f"min_sharpness = {LIMITS.min_sharpness:g}, min_contrast = {LIMITS.min_contrast:g}")
    header = ("dpi", 4), ("lines", 5), ("noise", 5), ("blur", 4), ("sharpness", 10), ("contrast", 8), ("OCR recall", 10)
    print(" ".join(f"{title:>{width}}" for title, width in header) + "  verdict")
    for outcome in outcomes:
        case = outcome.case
        verdict = "blurry" if outcome.refused_as_blurry else "clear"
        print(
            f"{case.dpi:>4} {case.lines:>5} {case.noise:>5g} {case.blur:>4g} {outcome.sharpness:>10.1f}"
            f" {outcome.contrast:>8.1f} {outcome.recall:>10.2f}  {verdict}"
        )
    readable = [outcome.sharpness for outcome in outcomes if outcome.recall >= 0.9]
    unreadable = [outcome.sharpness for outcome in outcomes if outcome.recall < 0.5]
    print(f"lowest sharpness of a readable page (recall >= 0.9):    {min(readable):.1f}")
    print(f"highest sharpness of an unreadable page (recall < 0.5): {max(unreadable):.1f}")
    refused_readable = sum(1 for o in outcomes if o.refused_as_blurry and o.recall >= 0.9)
    accepted_unreadable = sum(1 for o in outcomes if not o.refused_as_blurry and o.recall < 0.5)
    print(f"readable pages refused: {refused_readable}; unreadable pages accepted: {accepted_unreadable}")


if __name__ == "__main__":
    main()
