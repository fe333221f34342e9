"""Fit the model from the training CSV and save it with joblib, so the service can skip fitting.

python -m inference_service.train artifacts/model.joblib
MODEL_PATH=artifacts/model.joblib uvicorn inference_service.app:app
"""

from __future__ import annotations

import argparse
from pathlib import Path

from inference_service import model
from inference_service.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="where to write the .joblib file")
    args = parser.parse_args(argv)
    settings = load_settings()
    trained = model.train(
        model.load_training_data(settings.model_data),
        c=settings.model_c,
        test_size=settings.test_size,
        random_state=settings.random_state,
    )
    model.save(trained, args.output)
    print(f"saved model to {args.output} (test accuracy {trained.test_accuracy:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
