from notes import db
from notes.app import app


def test_add_and_list(tmp_path, monkeypatch):
    monkeypatch.setenv("NOTES_DB", str(tmp_path / "n.db"))
    db.migrate()
    client = app.test_client()
    assert client.post("/notes", json={"body": "hi"}).status_code == 201
    assert client.get("/").get_json() == [{"id": 1, "body": "hi"}]
