from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from inference_service.app import create_app
from inference_service.settings import load_settings


def test_health_is_ok_once_the_model_is_loaded(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_is_503_before_startup() -> None:
    # Without the context manager the lifespan never runs, so no model is loaded.
    response = TestClient(create_app(load_settings({}))).get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "starting"}


def test_predict_flags_a_failing_pump(client: TestClient, failing_pump: dict[str, float]) -> None:
    response = client.post("/predict", json=failing_pump)
    assert response.status_code == 200
    body = response.json()
    assert body["failure"] is True
    assert 0.5 <= body["probability"] <= 1.0
    assert body["model_version"]


def test_predict_passes_a_healthy_pump(client: TestClient, healthy_pump: dict[str, float]) -> None:
    body = client.post("/predict", json=healthy_pump).json()
    assert body["failure"] is False
    assert 0.0 <= body["probability"] < 0.5


@pytest.mark.parametrize(
    ("change", "bad_field"),
    [
        ({"rpm": "fast"}, "rpm"),
        ({"vibration_mm_s": -1.0}, "vibration_mm_s"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_predict_rejects_bad_input(
    client: TestClient, healthy_pump: dict[str, float], change: dict[str, object], bad_field: str
) -> None:
    response = client.post("/predict", json={**healthy_pump, **change})
    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["detail"]] == [bad_field]


def test_predict_rejects_a_missing_feature(client: TestClient, healthy_pump: dict[str, float]) -> None:
    del healthy_pump["age_days"]
    response = client.post("/predict", json=healthy_pump)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "age_days"]


def test_model_metadata(client: TestClient) -> None:
    body = client.get("/model").json()
    assert body["loaded"] is True
    assert body["features"] == ["temperature_c", "vibration_mm_s", "pressure_bar", "rpm", "age_days"]
    assert body["n_rows"] == 500
    assert body["test_accuracy"] > 0.7
    # The training data were generated so that vibration raises and pressure lowers the risk.
    assert body["coefficients"]["vibration_mm_s"] > 0
    assert body["coefficients"]["pressure_bar"] < 0
