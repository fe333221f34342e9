from fastapi.testclient import TestClient

from quotes.main import QUOTES, app


def test_quote():
    assert TestClient(app).get("/quote").json()["quote"] in QUOTES
