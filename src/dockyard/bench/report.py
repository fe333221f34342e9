"""What a benchmark result looks like to people: terminal tables, Markdown, a PNG chart, comparisons.

Every function takes a :class:`~dockyard.bench.results.BenchResult` or its JSON document and only
formats: the numbers come from ``bench/results.py``. Times are medians with their min–max range, and
each variant is set against the first (the baseline) as a ratio, never as a bare absolute time.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any

from dockyard import ui
from dockyard.atomic import atomic_write_bytes
from dockyard.bench import stats
from dockyard.bench.results import BenchResult, Comparison, VariantResult, from_document
from dockyard.bench.stats import Summary

SCENARIO_TITLES = {
    "cold": "cold: empty build cache",
    "noop": "no-op: rebuild with nothing changed",
    "code": "code: one source file changed",
    "deps": "deps: one requirement added",
    "fresh": "fresh: a new runner (empty cache, no images) with only the registry cache, one file changed",
}
#: medians within this factor of the baseline's are reported as "same"
_SAME = 1.05
#: the chart switches to a log scale when its slowest and fastest medians are this far apart
_LOG_SCALE_RATIO = 20.0
_NA = "n/a"


def _result(value: BenchResult | Mapping[str, Any]) -> BenchResult:
    return value if isinstance(value, BenchResult) else from_document(dict(value))


# --- cells ------------------------------------------------------------------------------------------------


def ratio_text(baseline: Summary, other: Summary) -> str:
    """``other`` against ``baseline``, e.g. "12.3× faster", "1.40× slower", "same"; n/a for ~0 s medians."""
    ratio = stats.speedup(baseline.median, other.median)
    if ratio is None:
        return f"{_NA} (< {stats.RATIO_FLOOR_S:g}s)"
    return speed_text(ratio)


def speed_text(ratio: float) -> str:
    """A speed-up as people say it: "12.3× faster", "1.40× slower", "same" (``ratio`` > 1 is faster)."""
    if 1 / _SAME < ratio < _SAME:
        return "same"
    factor, word = (ratio, "faster") if ratio > 1 else (1 / ratio, "slower")
    return f"{factor:.2f}× {word}" if factor < 2 else f"{factor:.1f}× {word}"


def size_change_text(baseline: int | None, other: int | None) -> str:
    """e.g. "62% smaller", "5% larger", "same"."""
    if not baseline or other is None:
        return _NA
    change = (other - baseline) / baseline * 100
    if round(change) == 0:
        return "same"
    return f"{-change:.0f}% smaller" if change < 0 else f"{change:.0f}% larger"


def range_text(summary: Summary) -> str:
    text = f"{ui.seconds(summary.min)}–{ui.seconds(summary.max)}"
    return f"{text} *" if stats.is_noisy(summary) else text


def _floor_multiple(variant: VariantResult) -> str:
    multiple = variant.code_vs_floor
    return _NA if multiple is None else f"{multiple:.1f}× floor"


def _context_text(variant: VariantResult) -> str:
    if variant.context is None:
        return _NA
    return f"{ui.human_bytes(variant.context.bytes)} in {variant.context.files} files"


# --- tables -------------------------------------------------------------------------------------------------


def _scenario_rows(result: BenchResult, scenario: str) -> list[list[str]]:
    base = result.baseline.scenarios.get(scenario)
    rows = []
    for variant in result.variants:
        measured = variant.scenarios.get(scenario)
        if measured is None:
            continue
        s = measured.summary
        if variant is result.baseline:
            versus = "baseline"
        else:
            versus = _NA if base is None else ratio_text(base.summary, s)
        rows.append(
            [
                variant.name,
                ui.seconds(s.median),
                range_text(s),
                str(s.n),
                f"{measured.cache_hit_ratio:.0%}",
                versus,
            ]
        )
    return rows


def _scenario_headers(result: BenchResult) -> list[str]:
    return ["variant", "median", "min–max", "n", "cache hits", f"vs {result.baseline.name}"]


def _variant_rows(result: BenchResult) -> list[list[str]]:
    base = result.baseline
    rows = []
    for variant in result.variants:
        image = _NA if variant.image_bytes is None else ui.human_bytes(variant.image_bytes)
        versus = "baseline" if variant is base else size_change_text(base.image_bytes, variant.image_bytes)
        floor = _NA if variant.floor is None else f"{ui.seconds(variant.floor.median)} (n={variant.floor.n})"
        rows.append([variant.name, image, versus, _context_text(variant), floor, _floor_multiple(variant)])
    return rows


_VARIANT_HEADERS = ["variant", "image", "vs baseline", "build context", "floor", "code change"]


def _noisy(result: BenchResult) -> list[str]:
    found = []
    for variant in result.variants:
        for scenario, measured in variant.scenarios.items():
            if stats.is_noisy(measured.summary):
                found.append(f"{variant.name}/{scenario}")
        if variant.floor is not None and stats.is_noisy(variant.floor):
            found.append(f"{variant.name}/floor")
    return found


def _notes(result: BenchResult) -> list[str]:
    noisy = _noisy(result)
    if not noisy:
        return []
    return [
        f"* the spread is wide relative to the median for: {', '.join(noisy)}; "
        "run more repeats or on a quieter machine before trusting these"
    ]


def _executed_lines(result: BenchResult) -> list[tuple[str, str, tuple[str, ...]]]:
    """(variant, scenario, steps) for every rebuild that ran steps: where a cache was missed."""
    return [
        (variant.name, scenario, measured.executed)
        for scenario in result.scenarios
        if scenario != "cold"
        for variant in result.variants
        if (measured := variant.scenarios.get(scenario)) and measured.executed
    ]


def _environment_line(result: BenchResult) -> str:
    env = result.environment
    if env is None:
        return f"{result.project}: environment not recorded"
    commit = env.git_commit[:12] if env.git_commit else "no git commit"
    return (
        f"{result.project} at {commit}, {env.created}; docker {env.docker_client} "
        f"(server {env.docker_server}, {env.builder}); {env.cores} cores, {env.platform}"
    )


def table(result: BenchResult | Mapping[str, Any]) -> str:
    """The terminal report: one table per scenario, one of images and floors, and notes."""
    result = _result(result)
    parts = [
        _environment_line(result),
        f"medians of n runs; ratios against {result.baseline.name}, measured in the same run",
    ]
    for scenario in result.scenarios:
        rows = _scenario_rows(result, scenario)
        if rows:
            parts += ["", SCENARIO_TITLES.get(scenario, scenario), ui.table(rows, _scenario_headers(result))]
    parts += ["", "images, build context and the floor (a one-file COPY on the base image)"]
    parts.append(ui.table(_variant_rows(result), _VARIANT_HEADERS))
    executed = _executed_lines(result)
    if executed:
        parts += ["", "steps that ran on a rebuild:"]
        parts += [f"  {v}/{s}: {'; '.join(steps)}" for v, s, steps in executed]
    notes = _notes(result)
    if notes:
        parts += ["", *notes]
    return "\n".join(parts) + "\n"


def markdown(result: BenchResult | Mapping[str, Any]) -> str:
    """The same report as Markdown: a short header, then GitHub tables."""
    result = _result(result)
    env = result.environment
    lines = [f"# Build benchmark: {PurePath(result.project).name}", ""]
    if env is not None:
        lines += [
            f"- commit: `{env.git_commit or 'not a git checkout'}`",
            f"- measured: {env.created}",
            f"- docker: client {env.docker_client}, server {env.docker_server}, builder {env.builder}",
            f"- machine: {env.cores} cores, {env.platform}",
            "",
        ]
    lines += [
        f"Medians of n runs. Each variant is compared with the first, `{result.baseline.name}`, "
        "measured in the same run; the range is min–max.",
    ]
    for scenario in result.scenarios:
        rows = _scenario_rows(result, scenario)
        if rows:
            title = SCENARIO_TITLES.get(scenario, scenario)
            lines += ["", f"## {title}", "", ui.table(rows, _scenario_headers(result), fmt="github")]
    lines += [
        "",
        "## Images, build context and the floor",
        "",
        "The floor is a build on the variant's base image that only copies one changed file: the least any "
        "rebuild can cost on this machine. A code change is shown as a multiple of it.",
        "",
        ui.table(_variant_rows(result), _VARIANT_HEADERS, fmt="github"),
    ]
    executed = _executed_lines(result)
    if executed:
        lines += ["", "## Steps that ran on a rebuild", ""]
        lines += [f"- {v}/{s}: " + ", ".join(f"`{step}`" for step in steps) for v, s, steps in executed]
    notes = _notes(result)
    if notes:
        lines += ["", *(note.replace("* ", "\\* ", 1) for note in notes)]
    return "\n".join(lines) + "\n"


def _change_text(value: float | None) -> str:
    return _NA if value is None else f"{value:+.1f}%"


def comparison_table(comparison: Comparison, *, fmt: str = "simple") -> str:
    """Baseline against new median per (variant, scenario); ``fmt="github"`` for Markdown."""
    rows = [
        [
            row.variant,
            row.scenario,
            ui.seconds(row.baseline.median),
            ui.seconds(row.new.median),
            _change_text(row.change_pct),
            ("REGRESSION" if row.regression else "ok") + (" (noisy)" if row.noisy else ""),
        ]
        for row in comparison.rows
    ]
    headers = ["variant", "scenario", "baseline", "new", "change", "verdict"]
    lines = [
        f"regression: new median > baseline median + {comparison.threshold_pct:g}% "
        f"and at least {comparison.min_seconds:g}s (or the floor's range) slower",
        ui.table(rows, headers, fmt=fmt),
    ]
    if comparison.only_baseline:
        lines.append(f"only in the baseline: {', '.join(comparison.only_baseline)}")
    if comparison.only_new:
        lines.append(f"only in the new result: {', '.join(comparison.only_new)}")
    lines += list(comparison.notes)
    regressions = len(comparison.regressions)
    lines.append(f"{regressions} regression{'s' if regressions != 1 else ''} in {len(comparison.rows)} rows")
    return "\n".join(lines) + "\n"


# --- chart --------------------------------------------------------------------------------------------------


def _groups(result: BenchResult) -> list[tuple[str, list[Summary | None]]]:
    """(label, one summary or None per variant) for each scenario, then the floor."""
    groups: list[tuple[str, list[Summary | None]]] = []
    for scenario in result.scenarios:
        found = [v.scenarios.get(scenario) for v in result.variants]
        if any(found):
            groups.append((scenario, [None if f is None else f.summary for f in found]))
    floors = [v.floor for v in result.variants]
    if any(floors):
        groups.append(("floor", floors))
    return groups


_GROUP_LABELS = {
    "cold": "cold\n(empty cache)",
    "noop": "noop\n(nothing changed)",
    "code": "code\n(1 file changed)",
    "deps": "deps\n(1 requirement added)",
    "fresh": "fresh runner\n(registry cache)",
    "floor": "floor\n(1-file COPY)",
}


def _label(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds >= 100 else ui.seconds(seconds)


def chart_png_bytes(result: BenchResult | Mapping[str, Any]) -> bytes:
    """The chart as PNG bytes: grouped bars of median seconds per scenario, min–max whiskers; image sizes."""
    # imported here: matplotlib takes a second to import, and only the chart needs it
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    result = _result(result)
    groups = _groups(result)
    names = [v.name for v in result.variants]
    has_images = any(v.image_bytes for v in result.variants)
    fig = Figure(figsize=(12, 5.2), dpi=110, layout="constrained")
    if has_images:
        ax, ax_img = fig.subplots(1, 2, width_ratios=[3, 1])
    else:
        ax, ax_img = fig.subplots(1, 1), None
    colors = [f"C{i % 10}" for i in range(len(names))]
    width = 0.8 / max(len(names), 1)
    lows = [s.min for _, group in groups for s in group if s is not None]
    highs = [s.max for _, group in groups for s in group if s is not None]
    log = bool(lows) and max(highs) / max(min(lows), stats.RATIO_FLOOR_S) > _LOG_SCALE_RATIO
    for index, (name, color) in enumerate(zip(names, colors, strict=True)):
        xs, medians, below, above = [], [], [], []
        for position, (_, group) in enumerate(groups):
            s = group[index]
            if s is not None:
                xs.append(position - 0.4 + width * (index + 0.5))
                medians.append(s.median)
                below.append(s.median - s.min)
                above.append(s.max - s.median)
        ax.bar(xs, medians, width * 0.92, color=color, label=name, yerr=[below, above], capsize=3)
        for x, median, up in zip(xs, medians, above, strict=True):
            # above the whisker, so a wide range does not run through the number
            ax.annotate(
                _label(median),
                (x, median + up),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
            )
    ax.set_xticks(range(len(groups)), [_GROUP_LABELS.get(label, label) for label, _ in groups])
    ax.set_xlabel("scenario")
    ax.set_ylabel("build time, seconds" + (" (log scale)" if log else ""))
    ax.set_title("Build time: median of the runs, whiskers min–max")
    if log:
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.set_ylim(bottom=max(min(lows), stats.RATIO_FLOOR_S) / 2, top=max(highs) * 3)
    else:
        ax.set_ylim(top=max(highs, default=1) * 1.15)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(title="variant", fontsize=9)
    if ax_img is not None:
        sizes = [(v.image_bytes or 0) / 1e6 for v in result.variants]
        bars = ax_img.bar(range(len(names)), sizes, color=colors)
        ax_img.bar_label(bars, labels=[f"{size:.0f} MB" for size in sizes], padding=2, fontsize=8)
        ax_img.set_xticks(range(len(names)), names, rotation=20, ha="right")
        ax_img.set_ylabel("runtime image size, MB")
        ax_img.set_title("Image size")
        ax_img.set_ylim(top=max(sizes) * 1.15)
        ax_img.grid(axis="y", alpha=0.3)
    env = result.environment
    where = ""
    if env is not None:
        commit = env.git_commit[:10] if env.git_commit else "no commit"
        where = f" at {commit}, {env.created[:10]}, {env.cores} cores"
    fig.suptitle(f"{PurePath(result.project).name}: docker build benchmark{where}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def chart_png(result: BenchResult | Mapping[str, Any], path: Path | str) -> Path:
    """Render the chart and write it atomically to ``path``; returns the path."""
    atomic_write_bytes(path, chart_png_bytes(result))
    return Path(path)
