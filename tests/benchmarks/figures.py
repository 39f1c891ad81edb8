"""One benchmark figure beside its raw baseline, and the table `make bench` prints.

Every benchmark measures what the system does *and*, in the same run on the same servers, what
the raw part underneath can do (a bare aiokafka consumer, a bare `insert_many`, a plain Pillow
decode, a bare FastAPI route). The ratio is the figure that means something on any machine; the
target says what we promised, in the unit the figure is in.
"""

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from mumaris.settings import PROJECT_ROOT

BENCH_DIR = PROJECT_ROOT / ".mumaris" / "bench"


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None = None  # the raw part's figure, same unit, same run
    baseline_name: str = ""
    target: float | None = None
    # "at_least": value ≥ target passes; "at_most": value ≤ target; a "ratio" target compares
    # value / baseline with the target instead of the value itself.
    target_kind: str = "at_least"

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        measured = self.ratio if self.target_kind.startswith("ratio") else self.value
        if measured is None:
            return "short"
        at_most = self.target_kind.endswith("at_most")
        return "pass" if (measured <= self.target if at_most else measured >= self.target) else "short"

    def target_text(self) -> str:
        if self.target is None:
            return ""
        sign = "≤" if self.target_kind.endswith("at_most") else "≥"
        if self.target_kind.startswith("ratio"):
            return f"{sign} {self.target:.0%} of baseline" if self.target <= 1 else f"{sign} {self.target:g}× baseline"
        return f"{sign} {self.target:g} {self.unit}"


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def table(figures: list[Figure]) -> str:
    rows = [("figure", "value", "raw baseline", "ratio", "target", "")]
    for f in figures:
        baseline = f"{_number(f.baseline)} {f.unit} ({f.baseline_name})" if f.baseline is not None else ""
        ratio = f"{f.ratio:.0%}" if f.ratio is not None and f.ratio < 10 else (f"{f.ratio:.1f}×" if f.ratio else "")
        rows.append((f.name, f"{_number(f.value)} {f.unit}", baseline, ratio, f.target_text(), f.verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def save(figures: list[Figure], label: str) -> Path:
    """Write the run as JSON under .mumaris/bench/, so two runs can be compared."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"{time.strftime('%Y%m%dT%H%M%S')}-{label}.json"
    rows = [{**asdict(f), "ratio": f.ratio, "verdict": f.verdict} for f in figures]
    path.write_text(json.dumps({"label": label, "at": time.time(), "figures": rows}, indent=2) + "\n")
    return path
