from decimal import Decimal

from flask import Flask, jsonify

from pricing import display, with_tax

app = Flask(__name__)
PRICES = {"tea": Decimal("3.50"), "cake": Decimal("4.20")}


@app.get("/health")
def health():
    return jsonify(ok=True)


@app.get("/price/<item>")
def price(item: str):
    gross = with_tax(PRICES[item])
    return jsonify(item=item, gross=str(gross), display=display(gross))
