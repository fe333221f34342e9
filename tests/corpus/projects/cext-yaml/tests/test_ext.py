from yamlver._libyaml import count_events, version


def test_version():
    assert version().startswith("0.")


def test_events():
    assert count_events("a: 1\n") > 4
