"""One exception tree for everything cultrade raises on purpose.

Every error says *what* went wrong, *where* (file, row, column when known)
and *how to fix it*, so the CLI and the API can show it to a user as is.

>>> err = SourceFormatError("value is not a number", path="wgi.csv", row=12,
...                         column="estimate", hint="Use '..' or an empty cell for missing values.")
>>> print(err)
wgi.csv, row 12, column 'estimate': value is not a number. Fix: Use '..' or an empty cell for missing values.
>>> isinstance(err, CultradeError)
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path


class CultradeError(Exception):
    """Root of every error cultrade raises deliberately."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.row = row
        self.column = column
        self.hint = hint
        super().__init__(self._render())

    @property
    def location(self) -> str:
        parts = []
        if self.path:
            parts.append(self.path)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def _render(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f". Fix: {self.hint}"
        return text

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready body, used by the REST API for consistent error bodies."""
        return {
            "error": type(self).__name__,
            "message": self.message,
            "path": self.path,
            "row": self.row,
            "column": self.column,
            "hint": self.hint,
        }


class ConfigError(CultradeError):
    """A setting, option or configuration file is invalid."""

    exit_code = 2


class SourceFormatError(CultradeError):
    """An input file does not have the layout, types or values its publisher uses."""

    exit_code = 3


class UnknownSourceError(CultradeError):
    """No adapter is registered under the requested name."""

    exit_code = 2


class UnknownCountryError(CultradeError):
    """A country code or name could not be mapped to ISO3."""

    exit_code = 3

    def __init__(
        self,
        value: object,
        *,
        scheme: str = "auto",
        suggestions: Sequence[str] = (),
        path: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.value = value
        self.scheme = scheme
        self.suggestions = list(suggestions)
        close = f"; close matches: {', '.join(self.suggestions)}" if self.suggestions else ""
        super().__init__(
            f"unknown country {value!r} (scheme {scheme}){close}",
            path=path,
            row=row,
            column=column,
            hint="use an ISO3 code, or add the spelling to the aliases in countries.csv",
        )


class StoreError(CultradeError):
    """The embedded store cannot be opened, read or written."""

    exit_code = 4


class FetchError(CultradeError):
    """Fetching data online failed."""

    exit_code = 5


class UpstreamError(FetchError):
    """The remote service failed or answered something unusable (not our fault)."""


class LocalFetchError(FetchError):
    """The request could not be made or cached because of a local problem."""


def check_choice(options: Mapping[str, Sequence[str]], name: str, value: object) -> str:
    """``value`` if it is a valid choice for option ``name`` in ``options``, else a :class:`ConfigError`.

    >>> check_choice({"aggregation": ("arithmetic", "geometric")}, "aggregation", "geometric")
    'geometric'
    """
    choices = options.get(name)
    if choices is None:
        raise ConfigError(f"unknown option {name!r}", hint=f"use one of {', '.join(sorted(options))}")
    if value not in choices:
        raise ConfigError(f"unknown {name} {value!r}", hint=f"use one of {', '.join(choices)}")
    return str(value)


__all__ = [
    "ConfigError",
    "CultradeError",
    "FetchError",
    "LocalFetchError",
    "SourceFormatError",
    "StoreError",
    "UnknownCountryError",
    "UnknownSourceError",
    "UpstreamError",
    "check_choice",
]
