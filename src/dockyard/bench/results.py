"""The benchmark's result document (``"schema": 1``, docs/benchmark-schema.md) and its history file.

Reading refuses unknown versions, unknown or missing keys, and derived numbers that do not match the runs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NoReturn

from dockyard.atomic import atomic_write_bytes
from dockyard.bench import stats
from dockyard.bench.analysis import (  # re-exported: they used to live here
    BenchResult as BenchResult,
)
from dockyard.bench.analysis import (
    ScenarioResult as ScenarioResult,
)
from dockyard.bench.analysis import (
    VariantResult as VariantResult,
)
from dockyard.bench.analysis import (
    analyse as analyse,
)
from dockyard.bench.comparison import (  # re-exported: they used to live here
    Comparison as Comparison,
)
from dockyard.bench.comparison import (
    ComparisonRow as ComparisonRow,
)
from dockyard.bench.comparison import (
    check as check,
)
from dockyard.bench.comparison import (
    compare as compare,
)
from dockyard.bench.comparison import (
    describe_row as describe_row,
)
from dockyard.bench.model import ContextSize, Environment, Measurements, Variant
from dockyard.bench.stats import Summary
from dockyard.errors import InputError

SCHEMA = 1
_TOLERANCE = 1e-3
_HINT = "the file was written by another dockyard version or edited by hand; run the benchmark again"


# --- to the document -----------------------------------------------------------------------------------


def _summary_doc(summary: Summary) -> dict[str, Any]:
    return {
        "runs": list(summary.runs),
        "median": round(summary.median, 4),
        "min": summary.min,
        "max": summary.max,
        "spread": round(summary.spread, 4),
    }


def _optional_round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def document(result: BenchResult) -> dict[str, Any]:
    """The JSON document (schema 1) of a result."""
    variants = []
    for v in result.variants:
        scenarios = {
            name: {
                **_summary_doc(s.summary),
                "cache_hit_ratio": s.cache_hit_ratio,
                "executed": list(s.executed),
            }
            for name, s in v.scenarios.items()
        }
        variants.append(
            {
                "name": v.name,
                "dockerfile": v.variant.dockerfile,
                "target": v.variant.target,
                "image_bytes": v.image_bytes,
                "context": None
                if v.context is None
                else {"bytes": v.context.bytes, "files": v.context.files},
                "floor": None if v.floor is None else _summary_doc(v.floor),
                "code_vs_floor": _optional_round(v.code_vs_floor, 2),
                "scenarios": scenarios,
            }
        )
    return {
        "schema": SCHEMA,
        "project": result.project,
        "environment": None if result.environment is None else asdict(result.environment),
        "scenarios": list(result.scenarios),
        "variants": variants,
    }


def to_document(m: Measurements) -> dict[str, Any]:
    """The JSON document (schema 1) of raw measurements: :func:`analyse` then :func:`document`."""
    return document(analyse(m))


# --- from the document ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reader:
    """Typed access to a parsed document; every failure names the file (and line) and the key."""

    source: str | None
    line: int | None = None

    def fail(self, where: str, message: str) -> NoReturn:
        raise InputError(
            f"benchmark result: `{where}` {message}", path=self.source, line=self.line, hint=_HINT
        )

    def obj(self, value: object, where: str, keys: Sequence[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(where, f"must be an object, not {type(value).__name__}")
        missing = [k for k in keys if k not in value]
        unknown = [k for k in value if k not in keys]
        if missing:
            self.fail(where, f"is missing {', '.join(map(repr, missing))}")
        if unknown:
            self.fail(where, f"has unknown {', '.join(map(repr, unknown))}")
        return value

    def items(self, value: object, where: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(where, f"must be a list, not {type(value).__name__}")
        return value

    def text(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            self.fail(where, f"must be a string, not {type(value).__name__}")
        return value

    def opt_text(self, value: object, where: str) -> str | None:
        return None if value is None else self.text(value, where)

    def texts(self, value: object, where: str) -> tuple[str, ...]:
        return tuple(self.text(item, f"{where}[{i}]") for i, item in enumerate(self.items(value, where)))

    def count(self, value: object, where: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            self.fail(where, f"must be a whole number ≥ 0, not {value!r}")
        return value

    def opt_count(self, value: object, where: str) -> int | None:
        return None if value is None else self.count(value, where)

    def num(self, value: object, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.fail(where, f"must be a number, not {value!r}")
        if value < 0:
            self.fail(where, f"must not be negative: {value!r}")
        return float(value)

    def opt_num(self, value: object, where: str) -> float | None:
        return None if value is None else self.num(value, where)

    def matches(self, stored: float | None, derived: float | None, where: str) -> None:
        same = (stored is None and derived is None) or (
            stored is not None and derived is not None and math.isclose(stored, derived, abs_tol=_TOLERANCE)
        )
        if not same:
            self.fail(where, f"is {stored!r}, but its runs give {derived!r}")


_SUMMARY_KEYS = ("runs", "median", "min", "max", "spread")
_SCENARIO_KEYS = (*_SUMMARY_KEYS, "cache_hit_ratio", "executed")
_VARIANT_KEYS = (
    "name",
    "dockerfile",
    "target",
    "image_bytes",
    "context",
    "floor",
    "code_vs_floor",
    "scenarios",
)
_ENVIRONMENT_KEYS = tuple(Environment.__dataclass_fields__)
_TOP_KEYS = ("schema", "project", "environment", "scenarios", "variants")


def _read_summary(r: _Reader, raw: dict[str, Any], where: str) -> Summary:
    runs = [r.num(v, f"{where}.runs[{i}]") for i, v in enumerate(r.items(raw["runs"], f"{where}.runs"))]
    if not runs:
        r.fail(f"{where}.runs", "is empty")
    summary = stats.summarize(runs)
    for key in ("median", "min", "max", "spread"):
        r.matches(r.num(raw[key], f"{where}.{key}"), getattr(summary, key), f"{where}.{key}")
    return summary


def _read_environment(r: _Reader, value: object) -> Environment | None:
    if value is None:
        return None
    raw = r.obj(value, "environment", _ENVIRONMENT_KEYS)
    return Environment(
        docker_client=r.text(raw["docker_client"], "environment.docker_client"),
        docker_server=r.text(raw["docker_server"], "environment.docker_server"),
        builder=r.text(raw["builder"], "environment.builder"),
        cores=r.count(raw["cores"], "environment.cores"),
        platform=r.text(raw["platform"], "environment.platform"),
        git_commit=r.opt_text(raw["git_commit"], "environment.git_commit"),
        created=r.text(raw["created"], "environment.created"),
    )


def _read_variant(r: _Reader, value: object, where: str, known: tuple[str, ...]) -> VariantResult:
    raw = r.obj(value, where, _VARIANT_KEYS)
    scenarios_raw = raw["scenarios"]
    if not isinstance(scenarios_raw, dict):
        r.fail(f"{where}.scenarios", "must be an object of scenario name to timings")
    scenarios = {}
    for name, item in scenarios_raw.items():
        at = f"{where}.scenarios.{name}"
        if name not in known:
            r.fail(at, f"is not one of the document's scenarios {list(known)}")
        s = r.obj(item, at, _SCENARIO_KEYS)
        ratio = r.num(s["cache_hit_ratio"], f"{at}.cache_hit_ratio")
        if ratio > 1:
            r.fail(f"{at}.cache_hit_ratio", f"must be between 0 and 1, not {ratio!r}")
        scenarios[name] = ScenarioResult(
            summary=_read_summary(r, s, at),
            cache_hit_ratio=ratio,
            executed=r.texts(s["executed"], f"{at}.executed"),
        )
    context = None
    if raw["context"] is not None:
        c = r.obj(raw["context"], f"{where}.context", ("bytes", "files"))
        context = ContextSize(
            bytes=r.count(c["bytes"], f"{where}.context.bytes"),
            files=r.count(c["files"], f"{where}.context.files"),
        )
    floor = None
    if raw["floor"] is not None:
        floor = _read_summary(r, r.obj(raw["floor"], f"{where}.floor", _SUMMARY_KEYS), f"{where}.floor")
    result = VariantResult(
        variant=Variant(
            name=r.text(raw["name"], f"{where}.name"),
            dockerfile=r.text(raw["dockerfile"], f"{where}.dockerfile"),
            target=r.opt_text(raw["target"], f"{where}.target"),
        ),
        scenarios=scenarios,
        image_bytes=r.opt_count(raw["image_bytes"], f"{where}.image_bytes"),
        context=context,
        floor=floor,
    )
    stored = r.opt_num(raw["code_vs_floor"], f"{where}.code_vs_floor")
    r.matches(stored, _optional_round(result.code_vs_floor, 2), f"{where}.code_vs_floor")
    return result


def from_document(doc: object, *, source: str | Path | None = None, line: int | None = None) -> BenchResult:
    """Read a parsed result document; raises InputError naming ``source`` (and ``line``) if it is not one."""
    r = _Reader(None if source is None else str(source), line)
    if not isinstance(doc, dict):
        r.fail("(document)", f"must be a JSON object, not {type(doc).__name__}")
    if "schema" not in doc:
        r.fail("schema", "is missing: this is not a dockyard benchmark result")
    if doc["schema"] != SCHEMA:
        raise InputError(
            f"benchmark result has schema version {doc['schema']!r}; this dockyard reads version {SCHEMA}",
            path=r.source,
            line=line,
            hint="read it with the dockyard version that wrote it, or run the benchmark again",
        )
    raw = r.obj(doc, "(document)", _TOP_KEYS)
    scenarios = r.texts(raw["scenarios"], "scenarios")
    if len(set(scenarios)) != len(scenarios):
        r.fail("scenarios", f"repeats a name: {list(scenarios)}")
    items = r.items(raw["variants"], "variants")
    if not items:
        r.fail("variants", "is empty: a result needs at least one variant")
    variants = tuple(_read_variant(r, item, f"variants[{i}]", scenarios) for i, item in enumerate(items))
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        r.fail("variants", f"repeats a name: {names}")
    return BenchResult(
        project=r.text(raw["project"], "project"),
        environment=_read_environment(r, raw["environment"]),
        scenarios=scenarios,
        variants=variants,
    )


# --- files ----------------------------------------------------------------------------------------------


def _load_json(text: str, source: str, line: int | None = None) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
            path=source,
            line=line,
            hint=_HINT,
        ) from exc


def read_result(path: Path | str) -> BenchResult:
    """Read a result file written by :func:`write_result`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError("no benchmark result here", path=str(path), hint="run the benchmark first") from exc
    return from_document(_load_json(text, str(path)), source=path)


def write_result(path: Path | str, doc: Mapping[str, Any]) -> None:
    """Check ``doc`` and write it, indented, atomically (temp file in the same directory, fsync, rename)."""
    from_document(dict(doc), source=path)
    atomic_write_bytes(path, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def append_history(history_path: Path | str, doc: Mapping[str, Any]) -> None:
    """Add ``doc`` as one compact line at the end of the JSON Lines history.

    The whole file is rewritten to a temp file and renamed over the old one, rather than appended in
    place with O_APPEND: a crash or a full disk then leaves the old history intact instead of a torn
    last line, and readers never see half a document. The cost, copying the file, is small: a line
    is a few kB and a history grows by one line per benchmark run. Two benchmarks appending at the
    same moment could lose one line; they cannot usefully run at once on one machine anyway.
    """
    path = Path(history_path)
    from_document(dict(doc), source=path)
    try:
        old = path.read_bytes()
    except FileNotFoundError:
        old = b""
    if old and not old.endswith(b"\n"):
        old += b"\n"
    line = json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n"
    atomic_write_bytes(path, old + line.encode("utf-8"))


def read_history(history_path: Path | str) -> tuple[BenchResult, ...]:
    """All results in the history, oldest first; none when the file does not exist yet."""
    path = Path(history_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    results = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            doc = _load_json(line, str(path), number)
            results.append(from_document(doc, source=path, line=number))
    return tuple(results)
