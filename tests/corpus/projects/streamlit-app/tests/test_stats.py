from stats import describe, parse


def test_describe():
    assert describe(parse("1, 2, 3")) == {"count": 3, "mean": 2, "median": 2}
