from shop.app import app


def test_price():
    body = app.test_client().get("/price/tea").get_json()
    assert body["gross"] == "4.20"
