"""The HTTP API: /health, /model and /predict.

Run with ``uvicorn inference_service.app:app``. The model is fitted (or loaded) once at startup.
"""

from __future__ import annotations

import logging
import logging.config
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import yaml
from dotenv import load_dotenv
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from inference_service import __version__, model
from inference_service.settings import PROJECT_ROOT, Settings, load_settings

log = logging.getLogger("inference_service")


class Features(BaseModel):
    """One pump's sensor readings."""

    model_config = ConfigDict(extra="forbid")

    temperature_c: float = Field(ge=-40, le=200, description="bearing temperature in °C")
    vibration_mm_s: float = Field(ge=0, le=100, description="RMS vibration velocity in mm/s")
    pressure_bar: float = Field(ge=0, le=50, description="outlet pressure in bar")
    rpm: float = Field(ge=0, le=10_000, description="shaft speed")
    age_days: float = Field(ge=0, le=20_000, description="days since the last overhaul")


class PredictionOut(BaseModel):
    failure: bool
    probability: float
    model_version: str


def configure_logging(settings: Settings) -> None:
    if settings.logging_config is not None and settings.logging_config.is_file():
        with settings.logging_config.open(encoding="utf-8") as fh:
            logging.config.dictConfig(yaml.safe_load(fh))
    else:
        logging.basicConfig()
    log.setLevel(settings.log_level)


def create_app(settings: Settings | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resolved = settings or load_settings()
        configure_logging(resolved)
        app.state.model = model.load_or_train(resolved)
        log.info("model ready (version %s)", __version__)
        yield
        app.state.model = None

    app = FastAPI(title="Pump failure inference", version=__version__, lifespan=lifespan)
    app.state.model = None

    @app.get("/health")
    def health(request: Request) -> JSONResponse:
        if request.app.state.model is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/model")
    def model_info(request: Request) -> dict[str, Any]:
        trained: model.TrainedModel | None = request.app.state.model
        if trained is None:
            return {"loaded": False}
        return {
            "loaded": True,
            "version": __version__,
            "features": list(trained.features),
            "train_accuracy": round(trained.train_accuracy, 4),
            "test_accuracy": round(trained.test_accuracy, 4),
            "n_rows": trained.n_rows,
            "trained_at": trained.trained_at,
            "coefficients": model.coefficients(trained),
        }

    @app.post("/predict", response_model=PredictionOut)
    def predict(features: Features, request: Request) -> PredictionOut | JSONResponse:
        trained: model.TrainedModel | None = request.app.state.model
        if trained is None:
            return JSONResponse({"detail": "model not loaded yet"}, status_code=503)
        (result,) = model.predict(trained, [features.model_dump()])
        return PredictionOut(
            failure=result.failure, probability=result.probability, model_version=__version__
        )

    return app


# A local .env (copied from .env.example) may set MODEL_DATA, LOG_LEVEL, ...
load_dotenv(PROJECT_ROOT / ".env")
app = create_app()
