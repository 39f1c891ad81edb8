"""Benchmark: how often the validator's OCR finds the declared name, issuer and date, and what a
page costs, against plain Tesseract on the full-resolution upload in the same run.

    python -m tests.benchmarks.validator_ocr [--documents 24] [--seed 0]

Generated certificate scans in real type (tests/certificate_scans.py: Latin and Arabic, A4 portrait
or landscape at 100-300 dpi, skewed, blurred, noisy, JPEG-compressed), each with its declaration.
Each scan that passes the clarity rules is read three ways, and the same matching
(`content.match_content`) is applied to each reading:

- validator: `content.ocr_text` on the page `inspect_document` hands on, what `content_findings`
  reads when a page has no text layer;
- raw baseline: the `tesseract` program (ara+eng, one thread) on the whole upload decoded at full
  resolution, one process per page: what plain OCR of the file finds;
- as before: the `tesseract` program on the working-scale page enlarged to 1600 px, as the
  validator read pages before the OCR was loaded once per worker.

Prints, per reading: the share of pages where content.name, content.issuer and content.date
passed, the share where all three did, the false passes (the same page matched against another
practitioner's declaration: another name, issuer and date; lower is better) and the CPU seconds
per page (this process and its children). Prints; does not assert.
"""

import argparse
import io
import os
import resource
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image, ImageOps

from services.validator.inspection import content
from services.validator.inspection.checks import CheckLimits, inspect_document, passed
from tests.benchmarks.figures import Figure, table
from tests.certificate_scans import CertificateScan, certificate_scans

LIMITS = CheckLimits(max_bytes=10 * 1024 * 1024)
LANGUAGES = "ara+eng"
FIELDS = (content.NAME_RULE, content.ISSUER_RULE, content.DATE_RULE)


@dataclass
class Tally:
    """What one way of reading found over the pages."""

    pages: int = 0
    found: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    all_found: int = 0
    false_checks: int = 0
    false_passes: int = 0
    cpu_s: float = 0.0

    def rate(self, count: int) -> float:
        return 100.0 * count / self.pages if self.pages else 0.0


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def tesseract_program(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    completed = subprocess.run(
        ["tesseract", "stdin", "stdout", "-l", LANGUAGES, "--psm", "3"],
        input=buffer.getvalue(),
        capture_output=True,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        check=True,
        timeout=120,
    )
    return completed.stdout.decode("utf-8", errors="replace")


def full_resolution(scan: CertificateScan) -> Image.Image:
    with Image.open(io.BytesIO(scan.data)) as image:
        return ImageOps.exif_transpose(image).convert("L")


def enlarged_as_before(page: Image.Image) -> Image.Image:
    """The validator's former OCR input: the working-scale page enlarged to a 1600 px long side
    (at most 3x), or shrunk to 3600 px."""
    long_side = max(page.size)
    if 1600 <= long_side <= 3600:
        return page
    factor = min(1600 / long_side, 3.0) if long_side < 1600 else 3600 / long_side
    size = (max(1, round(page.width * factor)), max(1, round(page.height * factor)))
    return page.resize(size, Image.Resampling.LANCZOS, reducing_gap=None if factor > 1 else 2.0)


def tally(reading: Tally, scan: CertificateScan, other: CertificateScan, read: Callable[[], str]) -> None:
    """Read the page once; match the text against its own declaration and against `other`'s (only
    the fields where the two declarations differ count as false-pass checks)."""
    started = cpu_seconds()
    text = read()
    reading.cpu_s += cpu_seconds() - started
    reading.pages += 1
    own = outcomes(text, scan)
    for rule in FIELDS:
        reading.found[rule] += own[rule] == "pass"
    reading.all_found += all(own[rule] == "pass" for rule in FIELDS)
    differs = {
        content.NAME_RULE: other.name != scan.name,
        content.ISSUER_RULE: other.issuer != scan.issuer,
        content.DATE_RULE: other.obtained_on != scan.obtained_on,
    }
    for rule, outcome in outcomes(text, other).items():
        if differs[rule]:
            reading.false_checks += 1
            reading.false_passes += outcome == "pass"


def outcomes(text: str, declared: CertificateScan) -> dict[str, str]:
    findings = content.match_content(text, name=declared.name, issuer=declared.issuer, obtained_on=declared.obtained_on)
    return {finding.rule: finding.outcome for finding in findings}


def measure(documents: int = 24, seed: int = 0, echo: bool = False) -> list[Figure]:
    """Read every generated scan the three ways; the figures, each beside the raw baseline."""
    if shutil.which("tesseract") is None:
        raise SystemExit("the tesseract program is not installed")
    scans = certificate_scans(documents, seed=seed)
    readings = {"validator": Tally(), "raw": Tally(), "before": Tally()}
    refused = 0
    for index, scan in enumerate(scans):
        other = scans[(index + 2) % len(scans)]  # the same script: the pages alternate
        report = inspect_document(scan.data, LIMITS)
        page = report.page
        if not passed(report.findings) or page is None:
            refused += 1
            continue
        tally(readings["validator"], scan, other, lambda page=page: content.ocr_text(page, languages=LANGUAGES))
        tally(readings["raw"], scan, other, lambda scan=scan: tesseract_program(full_resolution(scan)))
        tally(readings["before"], scan, other, lambda page=page: tesseract_program(enlarged_as_before(page)))
        if echo:
            print(f"  {index + 1}/{len(scans)} read", end="\r", flush=True)
    if echo:
        print(f"{len(scans)} scans, {refused} refused by the clarity rules, {len(scans) - refused} read")
    return figures(readings)


def figures(readings: dict[str, Tally]) -> list[Figure]:
    mine, raw, before = readings["validator"], readings["raw"], readings["before"]
    result: list[Figure] = []
    labels = {content.NAME_RULE: "name", content.ISSUER_RULE: "issuer", content.DATE_RULE: "date"}
    for reading, label, against in ((mine, "validator", raw), (before, "as before", raw)):
        for rule in FIELDS:
            value, baseline = reading.rate(reading.found[rule]), raw.rate(raw.found[rule])
            result.append(
                Figure(
                    f"OCR {labels[rule]} found ({label})",
                    value,
                    "% of pages",
                    baseline,
                    "tesseract, full resolution",
                )
            )
        value, baseline = reading.rate(reading.all_found), against.rate(against.all_found)
        result.append(
            Figure(
                f"OCR name+issuer+date all found ({label})",
                value,
                "% of pages",
                baseline,
                "tesseract, full resolution",
                target=1.0 if reading is mine else None,
                target_kind="ratio_at_least",
            )
        )
        false_rate = 100.0 * reading.false_passes / reading.false_checks if reading.false_checks else 0.0
        raw_false = 100.0 * raw.false_passes / raw.false_checks if raw.false_checks else 0.0
        result.append(
            Figure(f"OCR false passes ({label})", false_rate, "% of checks", raw_false, "tesseract, full resolution")
        )
        result.append(
            Figure(
                f"OCR CPU per page ({label})",
                reading.cpu_s / reading.pages if reading.pages else 0.0,
                "s",
                raw.cpu_s / raw.pages if raw.pages else 0.0,
                "tesseract, full resolution",
            )
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"generating {args.documents} certificate scans ...", flush=True)
    figures = measure(args.documents, args.seed, echo=True)
    print("validator OCR: what it finds and what it costs")
    print(table(figures))


if __name__ == "__main__":
    main()
