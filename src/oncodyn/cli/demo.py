"""``oncodyn demo`` (being written)."""


def demo() -> None:
    """Run the main job on a built-in default."""
    raise SystemExit("not yet")
