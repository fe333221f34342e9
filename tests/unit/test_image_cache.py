from __future__ import annotations

from pathlib import Path

from dockyard import image_cache


def test_missing_broken_or_older_caches_read_as_empty_and_writes_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "state" / "answers.json"
    assert image_cache.read(path, 2) == {"schema": 2, "images": {}}
    path.parent.mkdir()
    for text in ("{not json", "[]", '{"schema": 1, "images": {"a": 1}}', '{"schema": 2, "images": []}'):
        path.write_text(text)
        assert image_cache.read(path, 2) == {"schema": 2, "images": {}}
    image_cache.write(path, {"schema": 2, "images": {"python:3.11-slim": [["LANG", "C.UTF-8"]]}})
    assert image_cache.read(path, 2)["images"] == {"python:3.11-slim": [["LANG", "C.UTF-8"]]}
