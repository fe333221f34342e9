from notes.views import NOTES


def test_notes_are_listed():
    assert "order the layers" in NOTES
