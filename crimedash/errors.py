"""One exception hierarchy whose messages a user can act on.

The CLI and the app catch `CrimedashError` and show its message; anything else is a bug.
Each specific error also subclasses the built-in it resembles, so callers can catch
what they already know (as h3-py does with `H3ValueError(H3BaseException, ValueError)`).
"""

from __future__ import annotations

__all__ = [
    "ColumnMappingError",
    "CrimedashError",
    "DesignError",
    "DesignLogError",
    "ExportError",
    "InputError",
]


class CrimedashError(Exception):
    """Base of every error crimedash raises on purpose; its message is for the user."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base}\nHint: {self.hint}" if self.hint else base


class InputError(CrimedashError, ValueError):
    """A file the user gave cannot be used as it is.

    Carries the file, and where known the row (1-based, header excluded) and column,
    so the message points at the exact place to fix.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        where = []
        if file:
            where.append(f"file {file}")
        if row is not None:
            where.append(f"row {row}")
        if column:
            where.append(f"column {column!r}")
        prefix = f"{', '.join(where)}: " if where else ""
        super().__init__(prefix + message, hint=hint)


class ColumnMappingError(InputError):
    """Columns could not be mapped with confidence; the user must say which is which."""

    def __init__(self, message: str, *, file: str | None = None, candidates=None, hint=None):
        self.candidates = candidates or {}
        super().__init__(message, file=file, hint=hint)


class DesignError(CrimedashError, ValueError):
    """A map design is invalid; the message names the allowed values."""


class ExportError(CrimedashError, RuntimeError):
    """An export was refused or failed; nothing was written."""


class DesignLogError(CrimedashError, RuntimeError):
    """The design log could not be read or written."""
