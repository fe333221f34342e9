"""A small notes service on Flask and sqlite."""
