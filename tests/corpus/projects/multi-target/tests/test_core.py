from shortener.core import short_code


def test_stable():
    assert short_code("https://example.org") == short_code("https://example.org")
    assert len(short_code("x", 5)) == 5
