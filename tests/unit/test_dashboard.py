import re

from mumaris.settings import PROJECT_ROOT
from mumaris.tools.dashboard import ROWS, SERIES, rendered

CHECKED_IN = PROJECT_ROOT / "localstack/compose/grafana/provisioning/dashboards/json/mumaris-overview.json"
METRIC = re.compile(r"\b((?:mumaris|faststream)_[a-z_]+)")


def test_the_provisioned_dashboard_is_the_generated_one() -> None:
    assert CHECKED_IN.read_text(encoding="utf-8") == rendered(), (
        "stale dashboard: python -m mumaris.tools.dashboard > " + str(CHECKED_IN.relative_to(PROJECT_ROOT))
    )


def test_every_plotted_series_is_one_the_services_export_and_each_stage_has_a_row() -> None:
    plotted = {name for _, row in ROWS for panel in row for expr, _ in panel.exprs for name in METRIC.findall(expr)}
    assert plotted <= SERIES
    titles = " ".join(title for title, _ in ROWS)
    for stage in ("Intake", "Validation", "Review", "Notifications"):
        assert stage in titles
