"""Fixed broadband coverage by commune: ARCEP 2026 (JSON) or the 2018 observatory (CSV).

Output: one row per commune with ``code_insee`` (str), ``premises`` (int),
``share_30mbps``, ``share_ftth``, ``share_sat_4g`` (floats in [0, 1], NaN when
unknown) and ``vintage`` (``"2026T2"``, ``"2018T1"``). The format is detected
from the content (a JSON object, or the ARCEP CSV header), not the extension.

Denominators (decided here)
---------------------------
2026 JSON (per INSEE code: ``n``, ``f``, ``b``, ``d``, ``cu``; ``_meta`` skipped)
    * ``premises`` = ``n`` (premises counted by "Ma connexion internet").
    * ``share_30mbps`` = ``d[0] / n``: both counts come from "Ma connexion
      internet" (satellite excluded from ``d``).
    * ``share_ftth`` = ``f[0] / f[1]``: FttH-connectable premises over premises,
      both counted by Arcep Cartefibre. Mixing ``f[0]`` with ``n`` would compare
      two different premise counts (they differ by up to ~30 %).
    * ``share_sat_4g`` = ``(b["sat"] + b["4gf"]) / n``: premises whose *best*
      technology is satellite or fixed 4G (``b`` sums to ``n`` in the real file).
    * A zero denominator gives NaN (``no_premises`` warning); a share above 1
      is clipped to 1 with a ``share_clipped`` warning.
2018 observatory CSV (long format, title lines, one row per commune x field)
    * The latest quarter column (``T1 2018``) of the ``Locaux Raccordables`` rows.
    * ``premises`` = ``Logements + Établissements`` from the companion file
      ``arcep-communes-*.csv`` found next to it (same name without ``ftth-``);
      values such as ``" 1\\xa0046    "`` are read as 1046 and ``" -    "`` as 0.
    * ``share_ftth`` = connectable premises / premises (clipped to 1 with a
      ``share_clipped`` warning: the two counts are independent); ``share_30mbps``
      and ``share_sat_4g`` are unknown (NaN) in 2018.
    * Without the companion, ``premises`` is missing (``Int64`` with ``<NA>``) and
      ``share_ftth`` NaN, with a ``missing_companion`` warning.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from proximite import paths
from proximite.errors import InputError, LoadReport
from proximite.sources._io import (
    looks_like_json,
    parse_json,
    read_csv_table,
    read_text,
    require_columns,
)
from proximite.sources.validation import (
    clean_insee_column,
    departement_from_insee,
    normalise_departement,
)

COLUMNS = ["code_insee", "premises", "share_30mbps", "share_ftth", "share_sat_4g", "vintage"]
FTTH_HEADER = "Code commune"
_QUARTER_RE = re.compile(r"^T([1-4])\s+(\d{4})$")


def _share(num: float, den: float, report: LoadReport, code: str, field: str) -> float:
    if den is None or not np.isfinite(den) or den <= 0 or num is None or not np.isfinite(num):
        return np.nan
    share = num / den
    if share > 1:
        report.warn(
            "share_clipped", f"{field} = {num}/{den} > 1 clipped to 1", field=field, value=code
        )
        share = 1.0
    elif share < 0:
        report.warn(
            "share_clipped", f"{field} = {num}/{den} < 0 clipped to 0", field=field, value=code
        )
        share = 0.0
    return share


def _number(value: object) -> float:
    """Read ARCEP numbers: ``" 1\\xa0046    "`` -> 1046, ``" -    "`` -> 0, ``""`` -> NaN."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    text = re.sub(r"[\s\u00a0\u202f]", "", str(value))
    if text == "":
        return np.nan
    if text == "-":
        return 0.0
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return np.nan


def _vintage_2026(data: dict, path: Path) -> str | None:
    meta = data.get("_meta") or {}
    for source in meta.get("sources", []) if isinstance(meta, dict) else []:
        m = re.search(r"\bT([1-4])\s+(\d{4})\b", str(source.get("name", "")))
        if m:
            return f"{m.group(2)}T{m.group(1)}"
    m = re.search(r"(\d{4})T([1-4])", path.name)
    return f"{m.group(1)}T{m.group(2)}" if m else None


def _from_json(data: object, path: Path, report: LoadReport) -> pd.DataFrame:
    if not isinstance(data, dict):
        raise InputError("expected a JSON object keyed by INSEE code", path=path)
    vintage = _vintage_2026(data, path)
    if vintage is None:
        report.warn("unknown_vintage", "no quarter in _meta nor in the file name")
    rows = []
    for i, (key, rec) in enumerate(data.items(), start=1):
        if key.startswith("_"):
            continue
        if not isinstance(rec, dict) or "n" not in rec:
            report.warn(
                "malformed_record",
                f"record {key!r} has no premise count 'n': skipped",
                row=i,
                value=key,
            )
            continue
        try:
            n = float(rec["n"])
            d30 = float(rec["d"][0]) if rec.get("d") else np.nan
            f = rec.get("f") or [np.nan, np.nan]
            b = rec.get("b") or {}
            sat4g = float(b.get("sat", 0)) + float(b.get("4gf", 0)) if b else np.nan
            ftth, fden = float(f[0]), float(f[1])
        except (TypeError, ValueError, IndexError, KeyError):
            report.warn(
                "malformed_record",
                f"record {key!r} has unreadable counts: skipped",
                row=i,
                value=key,
            )
            continue
        if n <= 0:
            report.warn("no_premises", f"commune {key!r} has no premises", row=i, value=key)
        rows.append(
            {
                "_row": i,
                "code_insee": key,
                "premises": int(n),
                "share_30mbps": _share(d30, n, report, key, "share_30mbps"),
                "share_ftth": _share(ftth, fden, report, key, "share_ftth"),
                "share_sat_4g": _share(sat4g, n, report, key, "share_sat_4g"),
                "vintage": vintage,
            }
        )
    if not rows:
        raise InputError("no commune record", path=path)
    return pd.DataFrame(rows).set_index("_row")


def _latest_quarter(columns: list[str]) -> str | None:
    quarters = [
        (int(m.group(2)), int(m.group(1)), c)
        for c in columns
        if (m := _QUARTER_RE.match(c.strip()))
    ]
    return max(quarters)[2] if quarters else None


def _companion(path: Path) -> Path | None:
    name = path.name.replace("-ftth-", "-").replace("ftth-", "").replace("-ftth", "")
    cand = path.with_name(name)
    return cand if cand != path and cand.exists() else None


def _read_companion(path: Path, report: LoadReport) -> pd.Series:
    text = read_text(path, report)
    comp = read_csv_table(text, path, report, header_startswith=FTTH_HEADER)
    require_columns(comp.columns, ["Code commune", "Logements", "Établissements"], path)
    codes = clean_insee_column(comp["Code commune"], report, "Code commune")
    premises = comp["Logements"].map(_number) + comp["Établissements"].map(_number)
    return pd.Series(premises.to_numpy(), index=codes.to_numpy()).loc[lambda s: s.index.notna()]


def _from_arcep_csv(
    text: str, path: Path, report: LoadReport, premises_path: Path | None
) -> pd.DataFrame:
    df = read_csv_table(text, path, report, header_startswith=FTTH_HEADER)
    if "Champ" not in df.columns and {"Logements", "Établissements"} <= set(df.columns):
        raise InputError(
            "this is the ARCEP communes companion file; pass the FttH "
            "deployment file (arcep-ftth-communes-*.csv) instead",
            path=path,
        )
    require_columns(df.columns, ["Code commune", "Champ"], path)
    quarter = _latest_quarter(list(df.columns))
    if quarter is None:
        raise InputError("no quarter column (e.g. 'T1 2018')", path=path, field="T1 2018")
    m = _QUARTER_RE.match(quarter.strip())
    vintage = f"{m.group(2)}T{m.group(1)}"
    df = df[df["Champ"].str.strip().str.casefold() == "locaux raccordables"]
    if df.empty:
        raise InputError("no 'Locaux Raccordables' row", path=path, field="Champ")
    codes = clean_insee_column(df["Code commune"], report, "Code commune")
    connectable = df[quarter].map(_number)
    comp_path = premises_path or _companion(path)
    if comp_path is None:
        report.warn(
            "missing_companion",
            f"no companion file next to {path.name}: premises and share_ftth unknown",
        )
        premises = pd.Series(np.nan, index=df.index)
    else:
        comp = _read_companion(Path(comp_path), report)
        comp = comp[~comp.index.duplicated()]
        premises = pd.Series(comp.reindex(codes.to_numpy()).to_numpy(), index=df.index)
        for row in premises.index[premises.isna() & codes.notna()]:
            report.warn(
                "missing_premises",
                f"commune {codes[row]!r} not in {comp_path}",
                row=row,
                value=codes[row],
            )
    out = pd.DataFrame(
        {
            "code_insee": codes,
            "premises": premises,
            "share_30mbps": np.nan,
            "share_ftth": [
                _share(c, p, report, code, "share_ftth")
                for c, p, code in zip(connectable, premises, codes, strict=True)
            ],
            "share_sat_4g": np.nan,
            "vintage": vintage,
        },
        index=df.index,
    )
    return out


def load_broadband(
    path: str | Path | None = None,
    *,
    departement: str | None = None,
    premises_path: str | Path | None = None,
) -> pd.DataFrame:
    """Load fixed-broadband coverage per commune.

    Parameters
    ----------
    path : str or Path, optional
        The 2026 per-commune JSON (default: embedded ``internet-fixe-05-2026T2.json``)
        or the 2018 ARCEP FttH observatory CSV.
    departement : str, optional
        Keep only the communes of this département.
    premises_path : str or Path, optional
        The 2018 companion ``arcep-communes-*.csv`` when it is not next to ``path``.

    Returns
    -------
    pandas.DataFrame
        Columns ``code_insee``, ``premises``, ``share_30mbps``, ``share_ftth``,
        ``share_sat_4g``, ``vintage`` (see the module notes for denominators);
        ``attrs["report"]`` is the :class:`LoadReport`.

    Raises
    ------
    InputError
        Missing, empty, truncated or unrecognised file; missing required column(s).

    Examples
    --------
    >>> from proximite import load_broadband
    >>> bb = load_broadband(departement="05")
    >>> row = bb.set_index("code_insee").loc["05093"]
    >>> round(float(row["share_30mbps"]), 3), round(float(row["share_ftth"]), 3)
    (0.766, 0.655)
    """
    path = Path(path) if path is not None else paths.BROADBAND_JSON
    report = LoadReport(str(path))
    dep = normalise_departement(departement) if departement is not None else None
    text = read_text(path, report)
    if looks_like_json(text):
        df = _from_json(parse_json(text, path), path, report)
        df["code_insee"] = clean_insee_column(df["code_insee"], report, "code_insee")
    elif FTTH_HEADER in text[:5000]:
        df = _from_arcep_csv(text, path, report, Path(premises_path) if premises_path else None)
    else:
        raise InputError(
            "unrecognised broadband format (neither the per-commune JSON "
            "nor the ARCEP observatory CSV)",
            path=path,
        )
    report.rows_read = len(df)
    df = df[df["code_insee"].notna()]
    dups = df["code_insee"].duplicated()
    for row in df.index[dups]:
        report.warn(
            "duplicate_id",
            f"commune {df.at[row, 'code_insee']!r} repeated: first kept",
            row=row,
            field="code_insee",
        )
    df = df[~dups]
    if dep is not None:
        df = df[df["code_insee"].map(departement_from_insee) == dep]
    df = df.reset_index(drop=True)[COLUMNS]
    df["code_insee"] = df["code_insee"].astype("str")
    prem = df["premises"]
    df["premises"] = (
        prem.astype("int64") if prem.notna().all() else pd.array(prem.round(), dtype="Int64")
    )
    for col in ("share_30mbps", "share_ftth", "share_sat_4g"):
        df[col] = df[col].astype("float64")
    df["vintage"] = df["vintage"].astype("str")
    report.rows_kept = len(df)
    df.attrs["report"] = report
    return df
