"""An offline OSV API on loopback: ``POST /v1/query``, ``POST /v1/querybatch``, ``GET /v1/vulns/{id}``,
answered from an advisory directory (:mod:`dockyard.scan.osv`), so pip-audit audits without internet."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from dockyard.scan.osv import ECOSYSTEM, Database

LOOPBACK = "127.0.0.1"
MAX_BODY = 1 << 20
MAX_BATCH = 1000


class QueryError(ValueError):
    """A request the API answers with 400."""


def _package_query(query: Mapping[str, Any]) -> tuple[str, str]:
    package = query.get("package")
    version = query.get("version")
    if not isinstance(package, Mapping):
        raise QueryError("`package` is required (commit queries are not supported)")
    name = package.get("name")
    purl = package.get("purl")
    if isinstance(purl, str) and purl.startswith("pkg:pypi/"):
        body = purl.removeprefix("pkg:pypi/")
        name, _, from_purl = body.partition("@")
        version = version or from_purl
    elif package.get("ecosystem") != ECOSYSTEM:
        raise QueryError(f"only the {ECOSYSTEM} ecosystem is served")
    if not isinstance(name, str) or not name:
        raise QueryError("`package.name` is required")
    if not isinstance(version, str) or not version:
        raise QueryError("`version` is required")
    return name, version


def answer_query(db: Database, query: Mapping[str, Any]) -> dict[str, Any]:
    """``/v1/query``: full records; an empty object when nothing matches, as osv.dev answers."""
    name, version = _package_query(query)
    vulns = db.query(name, version)
    return {"vulns": vulns} if vulns else {}


def answer_batch(db: Database, body: Mapping[str, Any]) -> dict[str, Any]:
    """``/v1/querybatch``: ids and modified times only, in query order, as osv.dev answers."""
    queries = body.get("queries")
    if not isinstance(queries, list):
        raise QueryError("`queries` must be a list")
    if len(queries) > MAX_BATCH:
        raise QueryError(f"at most {MAX_BATCH} queries per batch")
    results = []
    for query in queries:
        if not isinstance(query, Mapping):
            raise QueryError("each query must be an object")
        name, version = _package_query(query)
        found = [{"id": v["id"], "modified": v.get("modified", "")} for v in db.query(name, version)]
        results.append({"vulns": found} if found else {})
    return {"results": results}


@dataclass(frozen=True)
class Response:
    status: int
    body: dict[str, Any]


def route(db: Database, method: str, path: str, body: bytes) -> Response:
    """The whole API as a pure function of the request (the HTTP handler only moves bytes)."""
    path = path.split("?", 1)[0].rstrip("/")
    try:
        if method == "GET" and path.startswith("/v1/vulns/"):
            record = db.get(path.removeprefix("/v1/vulns/"))
            if record is None:
                return Response(HTTPStatus.NOT_FOUND, {"code": 5, "message": "Bug not found."})
            return Response(HTTPStatus.OK, record)
        if method == "POST" and path in {"/v1/query", "/v1/querybatch"}:
            try:
                parsed = json.loads(body or b"{}")
            except json.JSONDecodeError as exc:
                raise QueryError(f"the body is not JSON ({exc})") from exc
            if not isinstance(parsed, dict):
                raise QueryError("the body must be a JSON object")
            if path == "/v1/query":
                return Response(HTTPStatus.OK, answer_query(db, parsed))
            return Response(HTTPStatus.OK, answer_batch(db, parsed))
    except QueryError as exc:
        return Response(HTTPStatus.BAD_REQUEST, {"code": 3, "message": str(exc)})
    return Response(HTTPStatus.NOT_FOUND, {"code": 5, "message": f"no route for {method} {path}"})


def _handler(db: Database, record: Callable[[str], None]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "dockyard-osv-mirror"

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                response = Response(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"code": 3, "message": "too large"})
            else:
                response = route(db, method, self.path, self.rfile.read(length) if length else b"")
            payload = json.dumps(response.body).encode()
            record(f"{method} {self.path} {response.status}")  # before the reply: the log keeps call order
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def log_message(self, format: str, *args: Any) -> None:
            pass  # requests go to ``record``; stderr stays clean

    return Handler


@dataclass(frozen=True)
class Mirror:
    """A running mirror: ``query_url`` is what ``pip-audit --osv-url`` takes."""

    url: str  # http://127.0.0.1:PORT
    requests: list[str]  # "POST /v1/query 200", in order: what clients really asked

    @property
    def query_url(self) -> str:
        return f"{self.url}/v1/query"


def make_server(
    db: Database, *, port: int = 0, record: Callable[[str], None] | None = None
) -> ThreadingHTTPServer:
    """A server bound to loopback only (``port=0``: any free port); ``record`` sees each request."""
    return ThreadingHTTPServer((LOOPBACK, port), _handler(db, record or (lambda _line: None)))


@contextmanager
def serving(db: Database, *, port: int = 0) -> Iterator[Mirror]:
    """Serve ``db`` on loopback in a background thread for the duration of the block."""
    log: list[str] = []
    server = make_server(db, port=port, record=log.append)
    thread = threading.Thread(target=server.serve_forever, name="osv-mirror", daemon=True)
    thread.start()
    try:
        yield Mirror(f"http://{LOOPBACK}:{server.server_address[1]}", log)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
