from fastapi import FastAPI, HTTPException

app = FastAPI(title="inventory")
STOCK: dict[str, int] = {"apple": 3, "pear": 0}


@app.get("/health")
def health() -> dict[str, bool]:
    return {"ok": True}


@app.get("/items/{name}")
def item(name: str) -> dict[str, int | str]:
    if name not in STOCK:
        raise HTTPException(status_code=404, detail="no such item")
    return {"name": name, "count": STOCK[name]}
