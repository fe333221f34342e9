"""Service settings: config/settings.toml, then environment variables (later wins)."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SETTINGS_FILE = PROJECT_ROOT / "config" / "settings.toml"


@dataclass(frozen=True, kw_only=True)
class Settings:
    model_data: Path
    model_path: Path | None
    model_c: float
    test_size: float
    random_state: int
    log_level: str
    logging_config: Path | None


def _resolve(raw: str) -> Path | None:
    if not raw:
        return None
    path = Path(raw)
    return path if path.is_absolute() else PROJECT_ROOT / path


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the TOML file named by SETTINGS_FILE (default config/settings.toml) and apply env overrides."""
    env = os.environ if environ is None else environ
    settings_file = Path(env.get("SETTINGS_FILE", DEFAULT_SETTINGS_FILE))
    data: dict[str, Any] = {}
    if settings_file.is_file():
        data = tomllib.loads(settings_file.read_text(encoding="utf-8"))
    model = data.get("model", {})
    logging = data.get("logging", {})

    model_data = _resolve(env.get("MODEL_DATA", model.get("data", "inference_service/data/training.csv")))
    if model_data is None:
        raise ValueError("MODEL_DATA must name the training CSV")
    return Settings(
        model_data=model_data,
        model_path=_resolve(env.get("MODEL_PATH", model.get("path", ""))),
        model_c=float(env.get("MODEL_C", model.get("c", 1.0))),
        test_size=float(env.get("TEST_SIZE", model.get("test_size", 0.2))),
        random_state=int(env.get("RANDOM_STATE", model.get("random_state", 7))),
        log_level=str(env.get("LOG_LEVEL", logging.get("level", "INFO"))).upper(),
        logging_config=_resolve(env.get("LOGGING_CONFIG", logging.get("config", ""))),
    )
