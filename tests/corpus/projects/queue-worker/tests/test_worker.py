import json

from worker.main import drain


def test_drain(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"id": "a", "op": "sum", "values": [1, 2]}))
    assert drain(tmp_path) == 1
    assert json.loads((tmp_path / "done" / "a.json").read_text()) == {"id": "a", "result": 3.0}
