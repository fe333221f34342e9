"""The benchmark: variants built side by side in four scenarios, repeated, compared as medians and
ratios (docs/architecture.md).
"""
