"""Low-level reading shared by the loaders: bytes, text, CSV rows and JSON.

Every failure is turned into an :class:`~proximite.errors.InputError` naming the
file (and the row or position when known); nothing here lets a raw ``csv``,
``json`` or pandas traceback escape.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from proximite.errors import InputError, LoadReport

GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path: str | Path) -> bytes:
    """Read a file (transparently gunzipped), refusing missing or empty files.

    Parameters
    ----------
    path : str or Path
        The file to read.

    Returns
    -------
    bytes
        The (decompressed) content.

    Raises
    ------
    InputError
        When the file does not exist, is a directory, is a corrupt or truncated
        gzip stream, or is empty.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", path=p)
    if p.is_dir():
        raise InputError("is a directory, not a file", path=p)
    data = p.read_bytes()
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"corrupt or truncated gzip data ({exc})", path=p) from None
    if not data.strip():
        raise InputError("empty file", path=p)
    return data


def read_text(path: str | Path, report: LoadReport | None = None) -> str:
    """Read a text file as UTF-8 (BOM removed), falling back to cp1252 with a warning."""
    data = read_bytes(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if report is not None:
            report.warn("encoding", "file is not valid UTF-8; decoded as cp1252")
        return data.decode("cp1252", errors="replace")


def looks_like_json(text: str) -> bool:
    """True when the first non-blank character opens a JSON array or object."""
    stripped = text.lstrip()
    return stripped[:1] in ("[", "{")


def parse_json(text: str, path: str | Path) -> Any:
    """Parse JSON text; a truncated or malformed document raises an InputError with its position."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid or truncated JSON at line {exc.lineno}, column {exc.colno} "
            f"(character {exc.pos}): {exc.msg}",
            path=path,
        ) from None
    except RecursionError:
        raise InputError("JSON nested too deeply", path=path) from None


def read_csv_table(
    text: str,
    path: str | Path,
    report: LoadReport,
    *,
    header_startswith: str | None = None,
) -> pd.DataFrame:
    """Parse CSV text into a DataFrame of strings (never any type inference).

    Parameters
    ----------
    text : str
        The whole file content.
    path : str or Path
        The file name, for messages.
    report : LoadReport
        Receives ``truncated_row`` and ``blank_row`` warnings.
    header_startswith : str, optional
        Skip title lines until a line starting with this text (the header).

    Returns
    -------
    pandas.DataFrame
        One ``str`` column per header field; empty fields are missing (NaN).
        The index holds the 1-based data row numbers (header excluded).

    Raises
    ------
    InputError
        No header, a header not found, bad quoting or a wrong number of fields
        in the middle of the file. A row cut at the very end of the file (fewer
        fields, or a quoted field left open) is skipped with a ``truncated_row``
        warning instead.
    """
    if header_startswith is not None:
        offset = 0
        for line in text.splitlines(keepends=True):
            if line.lstrip("\ufeff").startswith(header_startswith):
                break
            offset += len(line)
        else:
            raise InputError(
                f"header line starting with {header_startswith!r} not found", path=path
            )
        text = text[offset:]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[list[str]] = []
    truncated_quote = False
    try:
        for rec in reader:
            records.append(rec)
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            truncated_quote = True
        else:
            raise InputError(f"malformed CSV ({exc})", path=path, row=len(records)) from None
    if not records or not any(f.strip() for f in records[0]):
        raise InputError("empty file (no header line)", path=path)
    header = [h.strip() for h in records[0]]
    # ARCEP files end their header with an empty column name: keep it addressable.
    header = [h if h else f"unnamed_{i}" for i, h in enumerate(header)]
    n = len(header)
    rows: list[list[str]] = []
    numbers: list[int] = []
    body = records[1:]
    for i, rec in enumerate(body, start=1):
        if not rec or not any(f.strip() for f in rec):
            continue
        if len(rec) > n and not any(f.strip() for f in rec[n:]):
            rec = rec[:n]
        if len(rec) != n:
            if i == len(body) and len(rec) < n:
                report.warn(
                    "truncated_row",
                    f"last row has {len(rec)} of {n} fields (file cut mid-row): skipped",
                    row=i,
                )
                continue
            raise InputError(f"expected {n} fields, found {len(rec)}", path=path, row=i)
        rows.append(rec)
        numbers.append(i)
    if truncated_quote:
        report.warn(
            "truncated_row",
            "file ends inside a quoted field (file cut mid-row): last row skipped",
            row=len(body) + 1,
        )
    df = pd.DataFrame(rows, columns=header, index=pd.Index(numbers, dtype="int64"), dtype="str")
    for col in df.columns:
        df[col] = df[col].where(df[col] != "")
    return df


def require_columns(columns: Iterable[str], required: Iterable[str], path: str | Path) -> None:
    """Raise an InputError naming the file and every missing required column."""
    present = set(columns)
    missing = [c for c in required if c not in present]
    if missing:
        raise InputError(
            "missing required column(s): " + ", ".join(missing),
            path=path,
            field=missing[0],
        )


def records_frame(data: Any, path: str | Path, report: LoadReport) -> pd.DataFrame:
    """Turn a JSON list of objects into a DataFrame of raw values (object dtype).

    Non-object items are skipped with a ``malformed_record`` warning; the index
    holds the 1-based position of each record in the file. GeoJSON features are
    flattened (properties plus ``longitude``/``latitude`` from a point geometry).
    """
    if isinstance(data, dict):
        for key in ("data", "features", "items", "results"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
        else:
            raise InputError("expected a JSON list of records", path=path)
    if not isinstance(data, list):
        raise InputError("expected a JSON list of records", path=path)
    if not data:
        raise InputError("empty file (no record)", path=path)
    good = []
    numbers = []
    for i, item in enumerate(data, start=1):
        if isinstance(item, dict) and "properties" in item and "type" in item:
            props = dict(item.get("properties") or {})
            coords = (item.get("geometry") or {}).get("coordinates")
            if coords and len(coords) >= 2:
                props.setdefault("longitude", coords[0])
                props.setdefault("latitude", coords[1])
            item = props
        if not isinstance(item, dict):
            report.warn("malformed_record", "record is not a JSON object: skipped", row=i)
            continue
        good.append(item)
        numbers.append(i)
    df = pd.DataFrame.from_records(good).astype(object)
    df.index = pd.Index(numbers, dtype="int64")
    return df
