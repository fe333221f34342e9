from flask import Flask, jsonify, render_template

app = Flask(__name__)
BOOKMARKS = [("Python", "https://www.python.org"), ("Docker", "https://docs.docker.com")]


@app.get("/")
def index():
    return render_template("index.html", bookmarks=BOOKMARKS)


@app.get("/health")
def health():
    return jsonify(ok=True)
