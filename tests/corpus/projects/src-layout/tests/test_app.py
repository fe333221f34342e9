from bookmarks.app import app


def test_index_renders_package_template():
    client = app.test_client()
    assert b"python.org" in client.get("/").data
    assert client.get("/static/site.css").status_code == 200
