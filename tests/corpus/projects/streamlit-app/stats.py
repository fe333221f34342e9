from statistics import mean, median


def describe(values: list[float]) -> dict[str, float]:
    return {"count": len(values), "mean": mean(values), "median": median(values)}


def parse(text: str) -> list[float]:
    return [float(part) for part in text.replace(",", " ").split()]
