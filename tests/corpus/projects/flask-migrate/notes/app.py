from flask import Flask, jsonify, request

from notes.db import connect

app = Flask(__name__)


@app.get("/")
def index():
    with connect() as conn:
        rows = conn.execute("SELECT id, body FROM notes ORDER BY id").fetchall()
    return jsonify([{"id": i, "body": b} for i, b in rows])


@app.post("/notes")
def add():
    body = request.get_json(force=True).get("body", "")
    with connect() as conn:
        cur = conn.execute("INSERT INTO notes (body) VALUES (?)", (body,))
    return jsonify({"id": cur.lastrowid}), 201
