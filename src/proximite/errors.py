"""Errors and load reports shared by every part of proximite.

Bad input never crashes deep inside pandas: it either raises
:class:`InputError` naming the file, the row and the field, or is skipped
and counted in a :class:`LoadReport` that the caller can inspect
(loaders attach it as ``gdf.attrs["report"]``).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger("proximite")


class ProximiteError(Exception):
    """Base class of every error raised on purpose by proximite."""


class InputError(ProximiteError, ValueError):
    """An input file or table is unusable.

    Parameters
    ----------
    message : str
        What is wrong, in plain words.
    path : str or Path, optional
        The file concerned.
    row : int, optional
        1-based data row (header excluded) where the problem was found.
    field : str, optional
        The column or field concerned.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.row = row
        self.field = field
        self.reason = message
        where = []
        if self.path is not None:
            where.append(self.path)
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)


@dataclass
class Issue:
    """One problem found while loading: kept as a warning, not raised."""

    kind: str
    message: str
    row: int | None = None
    field: str | None = None
    value: object = None

    def __str__(self) -> str:
        loc = []
        if self.row is not None:
            loc.append(f"row {self.row}")
        if self.field is not None:
            loc.append(f"field {self.field!r}")
        return (", ".join(loc) + ": " if loc else "") + f"[{self.kind}] {self.message}"


@dataclass(eq=False)
class LoadReport:
    """What a loader read, kept and skipped, with the reasons.

    Attributes
    ----------
    source : str
        The file (or files) read.
    rows_read : int
        Data rows found in the input.
    rows_kept : int
        Rows in the returned table.
    issues : list of Issue
        Every warning, in input order.
    without_coordinates : pandas.DataFrame or None
        For point layers: the rows left out for lack of a usable point.

    Notes
    -----
    Reports compare by identity, so that ``pandas.concat`` of two loaded
    layers simply drops the differing ``attrs`` instead of failing.
    """

    source: str
    rows_read: int = 0
    rows_kept: int = 0
    issues: list[Issue] = field(default_factory=list)
    without_coordinates: Any = field(default=None, repr=False)

    def warn(
        self,
        kind: str,
        message: str,
        *,
        row: int | None = None,
        field: str | None = None,
        value: object = None,
    ) -> None:
        """Record a warning (and log it at debug level)."""
        issue = Issue(kind, message, row, field, value)
        self.issues.append(issue)
        logger.debug("%s: %s", self.source, issue)

    def count(self, kind: str | None = None) -> int:
        """Number of warnings, all or of one kind."""
        if kind is None:
            return len(self.issues)
        return sum(1 for i in self.issues if i.kind == kind)

    @property
    def counts(self) -> dict[str, int]:
        """Warnings counted by kind."""
        return dict(Counter(i.kind for i in self.issues))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: source, row counts and warnings counted by kind."""
        return {"source": self.source, "rows_read": self.rows_read,
                "rows_kept": self.rows_kept, "warnings": self.counts}

    def __str__(self) -> str:
        parts = ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items())) or "no warnings"
        return f"{self.source}: {self.rows_kept}/{self.rows_read} rows kept; {parts}"
