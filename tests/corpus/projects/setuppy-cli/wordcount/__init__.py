"""Count words, lines and characters."""

__version__ = "1.2.0"
