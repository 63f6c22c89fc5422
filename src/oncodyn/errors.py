"""Exceptions that carry a message meant for the user (printed on one line by the CLI)."""

from __future__ import annotations


class OncodynError(Exception):
    """Base class of errors caused by user input (files, options, configs).

    The CLI prints ``str(error)`` on one line and exits with status 2, without a traceback.
    """


class DataError(OncodynError, ValueError):
    """Bad input data. The message names the file, the row and the column where known."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None) -> None:
        where = []
        if file is not None:
            where.append(f"file {file}")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)
        self.file = file
        self.row = row
        self.column = column


class ConfigError(OncodynError, ValueError):
    """Bad configuration (TOML scenario, options file, keyword value)."""
