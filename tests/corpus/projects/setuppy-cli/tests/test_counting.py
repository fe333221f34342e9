from wordcount.counting import count


def test_count():
    c = count("one two\nthree\n")
    assert (c.lines, c.words, c.chars) == (2, 3, 14)
