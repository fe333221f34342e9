import hashlib


def short_code(url: str, length: int = 7) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:length]
