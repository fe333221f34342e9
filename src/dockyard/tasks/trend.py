"""``dockyard trend``: build time per scenario over the benchmark history, as a table and a chart."""

from __future__ import annotations

from typing import Any

from dockyard.phases import phase5
from dockyard.tasks._common import emit, settings, task


@task(
    help={
        "threshold": "percent slower than the previous result that counts as a regression (default 10), "
        "the rule bench.compare uses",
        "chart": "draw .dockyard/bench/trend.png when matplotlib is installed (default: yes)",
        "gate": "exit non-zero when the latest result regressed",
        "json": "write the report as JSON to this file, or - for stdout",
    }
)
def trend(
    c: Any,
    project: str | None = None,
    threshold: float = 10.0,
    chart: bool = True,
    gate: bool = False,
    json: str | None = None,
) -> None:
    """Show the build-time trend per scenario from .dockyard/bench/history.jsonl; flag regressions."""
    s = settings(project)
    report = phase5.trend_step(s, threshold_pct=threshold, chart=chart, gate=gate)
    emit(report, json=json)
