"""Generate the bundled training set, inference_service/data/training.csv.

Run once; the CSV is committed. The seed is fixed so the file is the same on every machine.

    python scripts/make_training_data.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROWS = 500
SEED = 42
OUT = Path(__file__).resolve().parents[1] / "inference_service" / "data" / "training.csv"


def make_frame(rows: int = ROWS, seed: int = SEED) -> pd.DataFrame:
    """Pump sensor readings and whether the pump failed within 30 days."""
    rng = np.random.default_rng(seed)
    temperature = rng.normal(70.0, 8.0, rows)
    vibration = rng.gamma(2.0, 1.5, rows)
    pressure = rng.normal(6.0, 1.0, rows)
    rpm = rng.normal(1500.0, 200.0, rows)
    age_days = rng.uniform(0.0, 2000.0, rows)
    # Hot, shaky, old pumps fail; pressure and speed matter a little.
    logit = (
        0.25 * (temperature - 70.0)
        + 0.9 * (vibration - 3.0)
        + 0.0015 * (age_days - 1000.0)
        - 0.4 * (pressure - 6.0)
        + 0.002 * (rpm - 1500.0)
        - 0.5
    )
    failure = rng.uniform(size=rows) < 1.0 / (1.0 + np.exp(-logit))
    return pd.DataFrame(
        {
            "temperature_c": temperature.round(2),
            "vibration_mm_s": vibration.round(3),
            "pressure_bar": pressure.round(3),
            "rpm": rpm.round(0).astype(int),
            "age_days": age_days.round(0).astype(int),
            "failure": failure.astype(int),
        }
    )


def main() -> None:
    frame = make_frame()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(OUT, index=False)
    print(f"wrote {len(frame)} rows to {OUT} ({frame['failure'].mean():.1%} failures)")


if __name__ == "__main__":
    main()
