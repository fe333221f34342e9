"""The benchmark engine: how much each Dockerfile variant measurably saves.

Variants are built side by side in one run, on the same noisy machine, in four scenarios (cold,
no-op, one code file changed, one requirement added), each repeated, plus "the floor": a one-file
COPY on the variant's base image, the least any rebuild can cost there. Results are medians and
ratios, never single absolute times.

- ``model``: the raw records the runner produces (Variant, Run, Measurements).
- ``runner`` and ``scenarios``: perform the builds and the edits between them.
- ``stats``: medians, ranges, the noise rule and guarded ratios of a few timings.
- ``results``: the versioned JSON result document, its history file, and comparing two results.
- ``report``: terminal and Markdown tables, the PNG chart, the comparison table.
"""
