import json
import os
import time
from pathlib import Path

from worker import store
from worker.jobs import Job, run

QUEUE = Path(os.environ.get("QUEUE_DIR", "/queue"))


def drain(queue: Path) -> int:
    done = 0
    for path in sorted(queue.glob("*.json")):
        job = Job.model_validate_json(path.read_text())
        result = {"id": job.id, "result": run(job)}
        (queue / "done").mkdir(exist_ok=True)
        (queue / "done" / path.name).write_text(json.dumps(result))
        if store.DSN:
            store.save(result)
        path.unlink()
        done += 1
    return done


def main() -> None:
    QUEUE.mkdir(parents=True, exist_ok=True)
    print(f"worker: watching {QUEUE}", flush=True)
    while True:
        if drain(QUEUE):
            print("worker: drained", flush=True)
        time.sleep(float(os.environ.get("POLL_SECONDS", "1")))


if __name__ == "__main__":
    main()
