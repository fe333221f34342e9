"""A small HTTP service that predicts pump failures from sensor readings."""

__version__ = "0.3.1"
