"""The corpus projects carry their own tests, for their own images: pytest here must not collect them."""

collect_ignore_glob = ["*"]
