"""provsim purecloud surface (being built)."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this surface's blueprints on ``app``."""
