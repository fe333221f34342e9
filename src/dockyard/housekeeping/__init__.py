"""Disk used by builds (images, build cache, volumes, the wheelhouse) and policies to free it."""
