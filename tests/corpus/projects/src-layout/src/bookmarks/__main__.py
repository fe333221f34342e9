import os

from waitress import serve

from bookmarks.app import app


def main() -> None:
    serve(app, host="0.0.0.0", port=int(os.environ.get("PORT", "8000")))


if __name__ == "__main__":
    main()
