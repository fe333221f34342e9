from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from inference_service.app import create_app
from inference_service.settings import load_settings


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    # Entering the client runs the lifespan, which fits the model.
    with TestClient(create_app(load_settings({}))) as test_client:
        yield test_client


@pytest.fixture
def healthy_pump() -> dict[str, float]:
    return {"temperature_c": 62.0, "vibration_mm_s": 1.2, "pressure_bar": 6.5, "rpm": 1450, "age_days": 120}


@pytest.fixture
def failing_pump() -> dict[str, float]:
    return {"temperature_c": 88.0, "vibration_mm_s": 9.5, "pressure_bar": 4.8, "rpm": 1800, "age_days": 1900}
