"""The national (multi-département) summary: table, totals and ``index.html``.

One row per département with the audit summary keys. Nested values are
flattened: a dict of plain values becomes one column per key
(``population_methods.polygon``), a deeper dict becomes JSON text
(``inputs``), a list becomes ``;``-joined text. The full speed profile is
dropped (its hash stays: ``speed_profile_hash``; the profile itself is in each
département's ``summary.json``).
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from proximite.outputs.files import write_csv, write_json

#: Summary keys not copied into the national table.
DROP_KEYS = frozenset({"speed_profile"})

#: First columns of the national table, in order (others follow, ``error`` last).
FIRST_COLUMNS = [
    "departement", "status", "method", "threshold_minutes", "population",
    "population_within_threshold", "share_within_threshold", "population_within_20",
    "population_within_30", "share_within_30", "communes", "communes_beyond_threshold",
    "unreachable_population", "sites_used", "sites_in_departement", "sites_serving",
    "sites_outside_departement", "detour_factor", "nominal_speed_kmh", "calibration",
    "calibration_mae_minutes", "calibration_flag_mismatch_share",
]


def _scalar(v: Any) -> bool:
    return v is None or isinstance(v, str | int | float | bool | np.generic)


def flatten_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """One flat row from an audit (or estimate) summary.

    Examples
    --------
    >>> flatten_summary({"a": 1, "m": {"x": 2}, "inputs": {"r": {"f": "x"}}, "l": [1, 2]})
    {'a': 1, 'm.x': 2, 'inputs': '{"r": {"f": "x"}}', 'l': '1;2'}
    """
    row: dict[str, Any] = {}
    for key, value in summary.items():
        if key in DROP_KEYS:
            continue
        if isinstance(value, dict):
            if all(_scalar(v) for v in value.values()):
                for k, v in value.items():
                    row[f"{key}.{k}"] = v
            else:
                row[key] = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
        elif isinstance(value, list | tuple):
            row[key] = ";".join(map(str, value))
        else:
            row[key] = value
    return row


def summary_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The national table from flat rows (see :func:`flatten_summary`).

    Parameters
    ----------
    rows : list of dict
        One per département, each with at least ``departement``, ``status``,
        ``method`` (and ``error`` for failures).

    Returns
    -------
    pandas.DataFrame
        Sorted by département code; columns :data:`FIRST_COLUMNS` first.
    """
    table = pd.DataFrame(rows)
    if "error" not in table:
        table["error"] = None
    first = [c for c in FIRST_COLUMNS if c in table.columns]
    rest = [c for c in table.columns if c not in first and c != "error"]
    table = table[[*first, *rest, "error"]]
    table = table.sort_values("departement", kind="stable").reset_index(drop=True)
    for col in table.columns:
        if table[col].dtype == object:
            values = table[col].dropna()
            if values.map(lambda v: isinstance(v, str)).all():
                continue
            if values.map(lambda v: isinstance(v, bool | np.bool_)).all():
                table[col] = table[col].astype("boolean")
            elif values.map(lambda v: isinstance(v, int | float | np.number)
                            and not isinstance(v, bool)).all():
                table[col] = pd.to_numeric(table[col])
            else:
                table[col] = table[col].map(lambda v: None if v is None or (
                    isinstance(v, float) and math.isnan(v)) else str(v))
    return table


def national_totals(table: pd.DataFrame) -> dict[str, Any]:
    """Totals over the départements with a result, overall and by method.

    Returns
    -------
    dict
        ``all``, ``network``, ``estimate``: ``departements``, ``population``,
        ``population_within_threshold``, ``share_within_threshold``,
        ``communes``, ``communes_beyond_threshold``; plus ``failed`` (codes).
    """
    done = table[table["status"].isin(["ok", "skipped"])]

    def total(t: pd.DataFrame, col: str) -> float:
        if col not in t or not len(t):
            return 0.0
        return float(pd.to_numeric(t[col], errors="coerce").fillna(0).sum())

    def block(t: pd.DataFrame) -> dict[str, Any]:
        pop = total(t, "population")
        within = total(t, "population_within_threshold")
        return {"departements": len(t), "population": int(pop),
                "population_within_threshold": round(within, 1),
                "share_within_threshold": round(within / pop, 6) if pop else None,
                "communes": int(total(t, "communes")),
                "communes_beyond_threshold": int(total(t, "communes_beyond_threshold"))}

    out = {"all": block(done)}
    for method in ("network", "estimate"):
        out[method] = block(done[done["method"] == method])
    out["failed"] = table.loc[table["status"] == "failed", "departement"].tolist()
    return out


def write_summary(table: pd.DataFrame, out: str | Path) -> dict[str, Path]:
    """Write ``summary.csv`` and ``summary.parquet`` in ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    csv = write_csv(table, out / "summary.csv")
    parquet = out / "summary.parquet"
    table.to_parquet(parquet, index=False)
    return {"summary_csv": csv, "summary_parquet": parquet}


def write_totals(totals: dict[str, Any], out: str | Path) -> Path:
    """Write ``national.json``."""
    return write_json(totals, Path(out) / "national.json")


# ---------------------------------------------------------------------------------------
# index.html
# ---------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1b1b1b}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:right}
th{background:#f0f0f0}td.l,th.l{text-align:left}
tr.failed td{background:#fde8e8}tr.estimate td{color:#5a4a00}
tfoot td{font-weight:bold;background:#f7f7f7}
.note{color:#555;font-size:.85rem;max-width:60rem}
"""


def _e(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def _num(value: Any, digits: int = 0) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    if math.isnan(v):
        return ""
    return f"{v:,.{digits}f}".replace(",", "\u202f")


def _pct(value: Any) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(v) else f"{100 * v:.1f} %"


def _links(out: Path, entry: dict[str, Any] | None) -> str:
    outputs = (entry or {}).get("outputs") or {}
    labels = {"map": "carte", "report": "rapport", "csv": "communes.csv",
              "summary": "summary.json"}
    parts = []
    for kind, label in labels.items():
        rel = outputs.get(kind)
        if rel and (out / rel).exists():
            parts.append(f'<a href="{html.escape(quote(rel), quote=True)}">{_e(label)}</a>')
    return " · ".join(parts)


def write_index(table: pd.DataFrame, out: str | Path, *, manifest: dict[str, Any],
                calibration: dict[str, Any] | None, totals: dict[str, Any],
                threshold: float) -> Path:
    """Write the self-contained ``index.html`` (no external resource, every value escaped).

    Parameters
    ----------
    table : pandas.DataFrame
        The national table.
    out : str or Path
        The batch output folder.
    manifest : dict
        Département -> manifest entry (for the output links).
    calibration : dict, optional
        :meth:`Calibration.to_dict` of the run.
    totals : dict
        :func:`national_totals`.
    threshold : float
        Minutes promised.

    Returns
    -------
    Path
    """
    out = Path(out)
    thr = f"{threshold:g}"
    head = ["Département", "Méthode", "Statut", "Population",
            f"À moins de {thr} min", "Part", "Communes", f"Communes au-delà de {thr} min",
            "France services", "Fichiers", "Erreur"]
    rows = []
    for rec in table.to_dict("records"):
        dep = str(rec["departement"])
        cls = "failed" if rec.get("status") == "failed" else str(rec.get("method") or "")
        sites = rec.get("sites_used")
        if sites is None or (isinstance(sites, float) and math.isnan(sites)):
            sites = rec.get("sites_in_departement")
        cells = [
            f'<td class="l">{_e(dep)}</td>',
            f'<td class="l">{_e(rec.get("method"))}</td>',
            f'<td class="l">{_e(rec.get("status"))}</td>',
            f"<td>{_num(rec.get('population'))}</td>",
            f"<td>{_num(rec.get('population_within_threshold'))}</td>",
            f"<td>{_pct(rec.get('share_within_threshold'))}</td>",
            f"<td>{_num(rec.get('communes'))}</td>",
            f"<td>{_num(rec.get('communes_beyond_threshold'))}</td>",
            f"<td>{_num(sites)}</td>",
            f'<td class="l">{_links(out, manifest.get(dep))}</td>',
            f'<td class="l">{_e(rec.get("error"))}</td>',
        ]
        rows.append(f'<tr class="{_e(cls)}">' + "".join(cells) + "</tr>")
    a = totals["all"]
    foot = (f'<tr><td class="l" colspan="3">Total ({a["departements"]} départements)</td>'
            f"<td>{_num(a['population'])}</td><td>{_num(a['population_within_threshold'])}</td>"
            f"<td>{_pct(a['share_within_threshold'])}</td><td>{_num(a['communes'])}</td>"
            f"<td>{_num(a['communes_beyond_threshold'])}</td><td></td><td></td><td></td></tr>")
    by_method = []
    for method, label in (("network", "réseau routier (audit exact)"),
                          ("estimate", "estimation à vol d'oiseau (dépistage)")):
        b = totals[method]
        if b["departements"]:
            by_method.append(
                f"<li>{_e(label)} : {b['departements']} départements, "
                f"{_num(b['population'])} habitants, {_pct(b['share_within_threshold'])} "
                f"à moins de {thr} min</li>")
    cal_html = ""
    if calibration is not None and totals["estimate"]["departements"]:
        ov = calibration.get("overall") or {}
        per = calibration.get("per_departement") or {}
        items = "".join(
            f"<li>{_e(d)} : erreur absolue moyenne {_e(v.get('mae_minutes'))} min, "
            f"drapeau « au-delà » différent pour {_pct(v.get('flag_mismatch_share'))} "
            f"des communes"
            + (f" (hors échantillon : {_e(v.get('loo_mae_minutes'))} min, "
               f"{_pct(v.get('loo_flag_mismatch_share'))})" if "loo_mae_minutes" in v else "")
            + "</li>" for d, v in per.items())
        cal_html = (
            "<h2>Estimation de dépistage</h2>"
            f'<p class="note">Pour les départements sans fichier de routes : distance à vol '
            f"d'oiseau du point représentatif de chaque commune (un seul point par commune) "
            f"à la France services la plus proche × facteur de détour "
            f"{_e(calibration.get('factor'))} à {_e(calibration.get('speed_kmh'))} km/h "
            f"({_e(calibration.get('label'))}). Erreur de calibration : "
            f"{_e(ov.get('mae_minutes'))} min en moyenne absolue, "
            f"{_pct(ov.get('flag_mismatch_share'))} des communes classées différemment.</p>"
            + (f"<ul>{items}</ul>" if items else ""))
    doc = (
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>Accès aux France services — synthèse ({len(table)} départements)</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<h1>Accès aux France services en moins de {thr} minutes — synthèse</h1>"
        + (f"<ul>{''.join(by_method)}</ul>" if by_method else "")
        + "<table><thead><tr>"
        + "".join(f'<th class="l">{_e(h)}</th>' if i in (0, 1, 2, 9, 10) else f"<th>{_e(h)}</th>"
                  for i, h in enumerate(head))
        + "</tr></thead><tbody>" + "\n".join(rows) + "</tbody><tfoot>" + foot
        + "</tfoot></table>" + cal_html
        + '<p class="note">Fichiers : summary.csv, summary.parquet, national.json, '
          "calibration.json, manifest.json (entrées, empreintes SHA-256, durées).</p>"
        + "</body></html>\n")
    path = out / "index.html"
    path.write_text(doc, encoding="utf-8")
    return path
