from fastapi.testclient import TestClient

from inventory.main import app


def test_item():
    client = TestClient(app)
    assert client.get("/items/apple").json() == {"name": "apple", "count": 3}
    assert client.get("/items/plum").status_code == 404
