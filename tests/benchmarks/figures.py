"""What a benchmark measured, as data: each figure beside the raw baseline measured in the same
run and the target it is held to, so one table can be assembled from several benchmarks."""

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    """The raw baseline measured in the same run (same machine, same moment), in `unit`."""
    baseline_label: str = ""
    target: str = ""
    """How the figure is judged, in words ("≥ 0.80 × baseline", "< 1000 ms")."""
    met: bool | None = None
    """Whether the target is met; None where there is none."""

    @property
    def ratio(self) -> float | None:
        """value / baseline, when there is a baseline."""
        return self.value / self.baseline if self.baseline else None


def print_figures(title: str, figures: Iterable[Figure]) -> None:
    print(title)
    for figure in figures:
        line = f"  {figure.name:<52} {figure.value:>10.2f} {figure.unit:<14}"
        if figure.baseline is not None:
            ratio = f" = {figure.ratio:.3g}x" if figure.ratio is not None else ""
            line += f" baseline {figure.baseline:>9.2f} ({figure.baseline_label}){ratio}"
        if figure.target:
            verdict = {True: "met", False: "NOT met", None: ""}[figure.met]
            line += f"  target {figure.target} {verdict}".rstrip()
        print(line)
