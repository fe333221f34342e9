from pydantic import BaseModel


class Job(BaseModel):
    id: str
    op: str
    values: list[float]


def run(job: Job) -> float:
    if job.op == "sum":
        return sum(job.values)
    if job.op == "max":
        return max(job.values)
    raise ValueError(f"unknown op {job.op!r}")
