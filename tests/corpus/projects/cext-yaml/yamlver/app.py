from flask import Flask, jsonify, request

from yamlver._libyaml import count_events, version

app = Flask(__name__)


@app.get("/health")
def health():
    return jsonify(ok=True, libyaml=version())


@app.post("/events")
def events():
    return jsonify(events=count_events(request.get_data(as_text=True)))


def main() -> None:
    app.run(host="0.0.0.0", port=8000)
