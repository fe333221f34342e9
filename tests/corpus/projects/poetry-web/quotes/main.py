import random

from fastapi import FastAPI

app = FastAPI(title="quotes")
QUOTES = [
    "Simple is better than complex.",
    "Readability counts.",
    "Errors should never pass silently.",
]


@app.get("/")
def root() -> dict[str, str]:
    return {"service": "quotes"}


@app.get("/quote")
def quote() -> dict[str, str]:
    return {"quote": random.choice(QUOTES)}
