from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from inference_service import model
from inference_service import train as train_command
from inference_service.settings import PROJECT_ROOT, load_settings

TRAINING_CSV = PROJECT_ROOT / "inference_service" / "data" / "training.csv"


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return model.load_training_data(TRAINING_CSV)


def test_training_data_has_every_feature(frame: pd.DataFrame) -> None:
    assert len(frame) == 500
    assert set(model.FEATURES) | {model.TARGET} == set(frame.columns)
    assert set(frame[model.TARGET].unique()) == {0, 1}


def test_missing_column_is_reported(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = tmp_path / "broken.csv"
    frame.drop(columns=["rpm"]).to_csv(path, index=False)
    with pytest.raises(ValueError, match="missing columns rpm"):
        model.load_training_data(path)


def test_training_beats_the_majority_class(frame: pd.DataFrame) -> None:
    trained = model.train(frame)
    majority = max(frame[model.TARGET].mean(), 1 - frame[model.TARGET].mean())
    assert trained.test_accuracy > majority + 0.1


def test_saved_model_predicts_the_same(tmp_path: Path, frame: pd.DataFrame) -> None:
    trained = model.train(frame)
    rows = [{name: float(row[name]) for name in model.FEATURES} for _, row in frame.head(5).iterrows()]
    model.save(trained, tmp_path / "model.joblib")
    assert model.predict(model.load(tmp_path / "model.joblib"), rows) == model.predict(trained, rows)


def test_load_or_train_prefers_a_saved_model(tmp_path: Path, frame: pd.DataFrame) -> None:
    trained = model.train(frame.head(200))
    model.save(trained, tmp_path / "model.joblib")
    settings = load_settings({"MODEL_PATH": str(tmp_path / "model.joblib")})
    assert model.load_or_train(settings).n_rows == 200


def test_environment_overrides_the_settings_file() -> None:
    settings = load_settings({"LOG_LEVEL": "debug", "MODEL_C": "0.5"})
    assert settings.log_level == "DEBUG"
    assert settings.model_c == 0.5
    assert settings.model_data == TRAINING_CSV
    assert settings.logging_config == PROJECT_ROOT / "config" / "logging.yaml"


def test_train_command_writes_a_loadable_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert train_command.main([str(tmp_path / "out" / "model.joblib")]) == 0
    assert model.load(tmp_path / "out" / "model.joblib").n_rows == 500
    assert "saved model to" in capsys.readouterr().out
