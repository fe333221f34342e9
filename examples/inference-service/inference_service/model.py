"""Train, save, load and apply the pump-failure classifier (StandardScaler + LogisticRegression)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from inference_service.settings import Settings

log = logging.getLogger(__name__)

FEATURES = ("temperature_c", "vibration_mm_s", "pressure_bar", "rpm", "age_days")
TARGET = "failure"


@dataclass(frozen=True, kw_only=True)
class TrainedModel:
    pipeline: Pipeline
    features: tuple[str, ...]
    train_accuracy: float
    test_accuracy: float
    n_rows: int
    trained_at: str


@dataclass(frozen=True)
class Prediction:
    failure: bool
    probability: float


def load_training_data(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    missing = [c for c in (*FEATURES, TARGET) if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {', '.join(missing)}")
    return frame.dropna(subset=[*FEATURES, TARGET])


def build_pipeline(*, c: float, random_state: int) -> Pipeline:
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("classify", LogisticRegression(C=c, random_state=random_state, max_iter=1000)),
        ]
    )


def train(
    frame: pd.DataFrame, *, c: float = 1.0, test_size: float = 0.2, random_state: int = 7
) -> TrainedModel:
    x = frame[list(FEATURES)]
    y = frame[TARGET].astype(int)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=random_state, stratify=y
    )
    pipeline = build_pipeline(c=c, random_state=random_state)
    pipeline.fit(x_train, y_train)
    model = TrainedModel(
        pipeline=pipeline,
        features=FEATURES,
        train_accuracy=float(accuracy_score(y_train, pipeline.predict(x_train))),
        test_accuracy=float(accuracy_score(y_test, pipeline.predict(x_test))),
        n_rows=len(frame),
        trained_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    log.info("trained on %d rows: test accuracy %.3f", model.n_rows, model.test_accuracy)
    return model


def predict(model: TrainedModel, rows: Sequence[Mapping[str, float]]) -> list[Prediction]:
    frame = pd.DataFrame([{name: row[name] for name in model.features} for row in rows])
    probabilities = model.pipeline.predict_proba(frame)[:, 1]
    return [Prediction(failure=bool(p >= 0.5), probability=float(np.round(p, 4))) for p in probabilities]


def coefficients(model: TrainedModel) -> dict[str, float]:
    """Weights of the scaled features: sign and size say how each reading pushes towards failure."""
    weights = model.pipeline.named_steps["classify"].coef_[0]
    return {name: round(float(w), 4) for name, w in zip(model.features, weights, strict=True)}


def save(model: TrainedModel, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path)


def load(path: Path) -> TrainedModel:
    model = joblib.load(path)
    if not isinstance(model, TrainedModel):
        raise TypeError(f"{path} does not hold a TrainedModel")
    return model


def load_or_train(settings: Settings) -> TrainedModel:
    if settings.model_path is not None and settings.model_path.is_file():
        log.info("loading model from %s", settings.model_path)
        return load(settings.model_path)
    log.info("fitting model from %s", settings.model_data)
    return train(
        load_training_data(settings.model_data),
        c=settings.model_c,
        test_size=settings.test_size,
        random_state=settings.random_state,
    )
