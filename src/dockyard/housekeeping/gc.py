"""Garbage-collection settings for the build cache, sized from a measured rollout.

The rule: keep twice what one full rollout used (so the next rollout finds its layers), at least
5 GB; records unused for a week go first. Written for the classic engine (``daemon.json``) and for a
buildx builder (``buildkitd.toml``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

GB = 10**9
MIN_KEEP = 5 * GB
IDLE_HOURS = 168


@dataclass(frozen=True, kw_only=True)
class GcRecommendation:
    measured_bytes: int
    keep_bytes: int

    @property
    def keep_gb(self) -> int:
        return self.keep_bytes // GB

    def daemon_json(self) -> str:
        half = max(1, self.keep_gb // 2)
        config = {
            "builder": {
                "gc": {
                    "enabled": True,
                    "defaultKeepStorage": f"{self.keep_gb}GB",
                    "policy": [
                        {"keepStorage": f"{half}GB", "filter": [f"unused-for={IDLE_HOURS}h"]},
                        {"keepStorage": f"{self.keep_gb}GB", "all": True},
                    ],
                }
            }
        }
        return json.dumps(config, indent=2) + "\n"

    def buildkitd_toml(self) -> str:
        mb = self.keep_bytes // 10**6
        return (
            "[worker.oci]\n  gc = true\n"
            f"  gckeepstorage = {mb}\n\n"
            "  [[worker.oci.gcpolicy]]\n"
            f"    keepBytes = {mb // 2 * 10**6}\n    keepDuration = {IDLE_HOURS * 3600}\n\n"
            "  [[worker.oci.gcpolicy]]\n    all = true\n"
            f"    keepBytes = {mb * 10**6}\n"
        )


def recommend(measured_bytes: int) -> GcRecommendation:
    keep = max(MIN_KEEP, math.ceil(2 * measured_bytes / GB) * GB)
    return GcRecommendation(measured_bytes=measured_bytes, keep_bytes=keep)
