"""The dashboard's face: the only package in crimedash that imports streamlit."""

from __future__ import annotations

__all__ = ["main"]


def main() -> None:
    from crimedash.ui.page import main as run

    run()
