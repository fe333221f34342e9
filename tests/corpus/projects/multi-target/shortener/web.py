from flask import Flask, jsonify, request

from shortener.core import short_code

app = Flask(__name__)


@app.get("/health")
def health():
    return jsonify(ok=True)


@app.post("/shorten")
def shorten():
    url = request.get_json(force=True)["url"]
    return jsonify(code=short_code(url))
