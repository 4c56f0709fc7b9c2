"""Self-contained HTML report of an audit, in French, for prefectures.

One file, no network: key figures, the communes beyond the threshold (ordered by
travel time, sortable by clicking the column headers), the "double fracture"
communes, and the map (the PNG embedded as a ``data:`` URI, plus a link to and an
inline frame of the interactive ``map.html`` when given). The tables are the
accessible alternative to the map: they carry every figure the map shows.
"""

from __future__ import annotations

import base64
import math
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from proximite.outputs import _style as st

__all__ = ["report_html", "write_report"]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a1a1a;
  max-width: 1100px; margin: 0 auto; padding: 1rem 1.5rem 3rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 2px solid #bd0026; }
.subtitle { color: #444; margin-top: 0; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .95rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid #bbb; padding: .3rem .55rem; vertical-align: top; }
thead th { background: #f0f0f0; }
tbody th { text-align: left; font-weight: 600; background: #fafafa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th button { font: inherit; font-weight: 600; background: none; border: 0; padding: 0;
  cursor: pointer; text-align: left; }
th button::after { content: " ⇅"; color: #888; }
th[aria-sort="ascending"] button::after { content: " ▲"; color: #1a1a1a; }
th[aria-sort="descending"] button::after { content: " ▼"; color: #1a1a1a; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
iframe { width: 100%; height: 640px; border: 1px solid #bbb; }
.note { color: #444; font-size: .9rem; }
.unreachable { font-weight: 600; color: #7a0019; }
"""

# Sorts a table when one of its header buttons is clicked (numbers via data-sort).
_SORT_JS = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, col) {
    var button = th.querySelector("button");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var desc = th.getAttribute("aria-sort") === "ascending";
      table.querySelectorAll("thead th").forEach(function (o) { o.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", desc ? "descending" : "ascending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var key = function (row) {
        var cell = row.cells[col];
        var v = cell.getAttribute("data-sort");
        return v === null ? cell.textContent.trim().toLowerCase() : parseFloat(v);
      };
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        var c = (typeof x === "number" && typeof y === "number") ? x - y
          : String(x).localeCompare(String(y), "fr");
        return desc ? -c : c;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""

_UNREACHABLE_SORT = 1e9  # sort key of "inaccessible" (farther than any time)


def _num(value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return x


def _sort_key(value: Any, missing: float = -1.0) -> str:
    x = _num(value)
    return repr(x) if math.isfinite(x) else repr(missing)


def _share(part: Any, total: Any) -> str:
    p, t = _num(part), _num(total)
    if not (math.isfinite(p) and math.isfinite(t)) or t <= 0:
        return ""
    return f" ({st.fmt_pct(p / t)})"


def _key_figures(audit: Any) -> str:
    s = audit.summary
    threshold = int(getattr(audit, "threshold", 30))
    total = s.get("population")
    rows = [("Population du département", st.fmt_int(total))]
    rows.append(
        (
            "Population à moins de 20 min d'une France services",
            st.fmt_int(s.get("population_within_20"))
            + _share(s.get("population_within_20"), total),
        )
    )
    within = s.get("population_within_threshold")
    rows.append(
        (
            f"Population à moins de {threshold} min d'une France services",
            st.fmt_int(within) + _share(within, total),
        )
    )
    rows.append(
        (
            f"Part de la population à moins de {threshold} min",
            st.fmt_pct(st.share_within(audit)),
        )
    )
    rows.append(
        (
            f"Communes au-delà de {threshold} min (en moyenne pondérée)",
            f"{st.fmt_int(s.get('communes_beyond_threshold'))} sur {st.fmt_int(s.get('communes'))}",
        )
    )
    if "unreachable_population" in s:
        rows.append(
            ("Population sans accès routier calculable", st.fmt_int(s["unreachable_population"]))
        )
    if "sites_used" in s:
        outside = s.get("sites_outside_departement")
        text = st.fmt_int(s["sites_used"])
        if outside is not None and not st.is_missing(outside):
            text += f", dont {st.fmt_int(outside)} hors du département"
        rows.append(("France services prises en compte", text))
    body = "\n".join(
        f'<tr><th scope="row">{st.esc(k)}</th><td class="num">{st.esc(v)}</td></tr>'
        for k, v in rows
    )
    return (
        '<table id="key-figures">\n<caption>Chiffres clés</caption>\n'
        '<thead><tr><th scope="col">Indicateur</th><th scope="col">Valeur</th></tr></thead>\n'
        f"<tbody>\n{body}\n</tbody>\n</table>"
    )


def _header(label: str, sortable: bool) -> str:
    if sortable:
        return f'<th scope="col"><button type="button">{st.esc(label)}</button></th>'
    return f'<th scope="col">{st.esc(label)}</th>'


def _table(table_id: str, caption: str, headers: list[str], rows: list[str], *,
           sortable: bool) -> str:
    """An accessible HTML table: caption, column headers, pre-rendered (escaped) rows."""
    head = "".join(_header(h, sortable) for h in headers)
    cls = ' class="sortable"' if sortable else ""
    return (
        f'<table id="{table_id}"{cls}>\n<caption>{caption}</caption>\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"
    )


def beyond_threshold_table(audit: Any) -> pd.DataFrame:
    """Communes beyond the threshold, farthest first (unreachable ones at the top).

    Parameters
    ----------
    audit : Audit
        The commune audit.

    Returns
    -------
    DataFrame
        The rows of ``audit.communes`` with ``beyond_threshold``, sorted by
        ``minutes_fs`` descending, NaN (unreachable) first, then by population.
    """
    c = pd.DataFrame(audit.communes.drop(columns="geometry", errors="ignore"))
    c = c[c["beyond_threshold"].astype(bool)].copy()
    key = pd.to_numeric(c["minutes_fs"], errors="coerce").fillna(np.inf)
    c["_key"] = key
    c = c.sort_values(["_key", "population"], ascending=[False, False], kind="stable")
    return c.drop(columns="_key")


def _beyond_table(audit: Any) -> str:
    threshold = int(getattr(audit, "threshold", 30))
    departement = str(getattr(audit, "departement", ""))
    rows = beyond_threshold_table(audit)
    if rows.empty:
        return f"<p>Aucune commune n'est au-delà de {threshold} min.</p>"
    headers = [
        "Commune",
        "Code INSEE",
        "Population",
        "Temps moyen (min)",
        f"Part à moins de {threshold} min",
        "France services la plus proche",
    ]
    lines = []
    for _, r in rows.iterrows():
        minutes = _num(r.get("minutes_fs"))
        if math.isfinite(minutes):
            t = f'<td class="num" data-sort="{minutes!r}">{st.esc(st.fmt_float(minutes))}</td>'
        else:
            t = f'<td class="num unreachable" data-sort="{_UNREACHABLE_SORT!r}">inaccessible</td>'
        fs = st.esc(r.get("nearest_fs_name"))
        fs_dep = r.get("nearest_fs_departement")
        if bool(r.get("served_across_border", False)) or (
            not st.is_missing(fs_dep) and str(fs_dep) != departement
        ):
            fs += f" (hors département, {st.esc(fs_dep)})"
        lines.append(
            "<tr>"
            f'<th scope="row">{st.esc(r.get("nom"))}</th>'
            f"<td>{st.esc(r.get('code_insee'))}</td>"
            f'<td class="num" data-sort="{_sort_key(r.get("population"))}">'
            f"{st.esc(st.fmt_int(r.get('population')))}</td>"
            f"{t}"
            f'<td class="num" data-sort="{_sort_key(r.get("share_within_threshold"))}">'
            f"{st.esc(st.fmt_pct(r.get('share_within_threshold')))}</td>"
            f"<td>{fs}</td>"
            "</tr>"
        )
    return _table(
        "beyond-threshold",
        f"Communes au-delà de {threshold} min d'une France services, de la plus éloignée "
        "à la moins éloignée (cliquer sur un en-tête pour trier)",
        headers, lines, sortable=True,
    )


def _double_fracture_table(audit: Any) -> str:
    threshold = int(getattr(audit, "threshold", 30))
    df = getattr(audit, "double_fracture", None)
    if df is None or len(df) == 0:
        return (
            "<p>Aucune commune ne cumule un temps d'accès supérieur au seuil et une "
            "faible couverture en haut débit.</p>"
        )
    df = pd.DataFrame(df).drop(columns="geometry", errors="ignore").copy()
    df["_key"] = pd.to_numeric(df.get("minutes_fs"), errors="coerce").fillna(np.inf)
    df = df.sort_values("_key", ascending=False, kind="stable")
    headers = [
        "Commune",
        "Code INSEE",
        "Population",
        "Temps moyen (min)",
        "Locaux ≥ 30 Mbit/s",
        "Locaux raccordables FTTH",
    ]
    lines = []
    for _, r in df.iterrows():
        lines.append(
            "<tr>"
            f'<th scope="row">{st.esc(r.get("nom"))}</th>'
            f"<td>{st.esc(r.get('code_insee'))}</td>"
            f'<td class="num">{st.esc(st.fmt_int(r.get("population")))}</td>'
            f'<td class="num">{st.esc(st.fmt_minutes(r.get("minutes_fs")))}</td>'
            f'<td class="num">{st.esc(st.fmt_pct(r.get("share_30mbps")))}</td>'
            f'<td class="num">{st.esc(st.fmt_pct(r.get("share_ftth")))}</td>'
            "</tr>"
        )
    return _table(
        "double-fracture",
        f"Double fracture : communes au-delà de {threshold} min et mal desservies en haut débit",
        headers, lines, sortable=False,
    )


def _map_section(audit: Any, base: Path, map_html: Path | None, map_png: Path | None) -> str:
    threshold = int(getattr(audit, "threshold", 30))
    parts = []
    if map_png is not None:
        data = base64.b64encode(Path(map_png).read_bytes()).decode("ascii")
        alt = (
            f"Carte des communes du {st.departement_label(audit)} colorées selon le temps "
            "d'accès en voiture à la France services la plus proche "
            f"({st.fmt_pct(st.share_within(audit))} de la population à moins de {threshold} min). "
            "Les mêmes informations figurent dans les tableaux de ce rapport."
        )
        parts.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{st.esc(alt)}">'
            f"<figcaption>{st.esc(st.TITLE)}. {st.esc(st.SOURCES_NOTE)}.</figcaption></figure>"
        )
    if map_html is not None:
        rel = os.path.relpath(Path(map_html).resolve(), base.resolve())
        href = quote(Path(rel).as_posix())
        parts.append(
            f'<p><a href="{st.esc(href)}">Ouvrir la carte interactive</a> '
            "(fichier local, fonctionne sans connexion).</p>"
            f'<iframe src="{st.esc(href)}" title="Carte interactive des temps d\'accès '
            'aux France services" loading="lazy"></iframe>'
        )
    if not parts:
        return "<p>Carte non fournie : les tableaux ci-dessus donnent toutes les valeurs.</p>"
    return "\n".join(parts)


def report_html(
    audit: Any,
    *,
    base: str | Path = ".",
    map_html: str | Path | None = None,
    map_png: str | Path | None = None,
) -> str:
    """The report as one HTML document (see :func:`write_report`).

    Parameters
    ----------
    audit : Audit
        The commune audit.
    base : str or Path, default "."
        Folder the report will be written to (links to ``map_html`` are relative to it).
    map_html : str or Path, optional
        Interactive map file to link and frame.
    map_png : str or Path, optional
        Static map image to embed.

    Returns
    -------
    str
        The HTML document.
    """
    threshold = int(getattr(audit, "threshold", 30))
    label = st.departement_label(audit)
    title = f"Accès aux France services — {label}"
    body = [
        f"<h1>{st.esc(title)}</h1>",
        f'<p class="subtitle">{st.esc(st.TITLE)} : seuil de {threshold} min.</p>',
        "<h2>Chiffres clés</h2>",
        _key_figures(audit),
        f"<h2>Communes au-delà de {threshold} min</h2>",
        '<p class="note">Temps moyen pondéré par la population de la commune ; '
        "« inaccessible » : aucune partie habitée n'est reliée par la route à une France "
        "services.</p>",
        _beyond_table(audit),
        "<h2>Double fracture territoriale et numérique</h2>",
        _double_fracture_table(audit),
        "<h2>Carte</h2>",
        _map_section(
            audit,
            Path(base),
            None if map_html is None else Path(map_html),
            None if map_png is None else Path(map_png),
        ),
        f'<p class="note">{st.esc(st.SOURCES_NOTE)}.</p>',
    ]
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{st.esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(body)
        + f"\n</main>\n<script>{_SORT_JS}</script>\n</body>\n</html>\n"
    )


def write_report(
    audit: Any,
    path: str | Path,
    *,
    map_html: str | Path | None = None,
    map_png: str | Path | None = None,
) -> Path:
    """Write the self-contained French HTML report of an audit.

    Parameters
    ----------
    audit : Audit
        The commune audit.
    path : str or Path
        Output file (``report.html``); parent folders are created.
    map_html : str or Path, optional
        The interactive map (from :func:`proximite.outputs.maps.write_map`), linked
        and shown in an inline frame by relative path.
    map_png : str or Path, optional
        The static map (from :func:`proximite.outputs.static.gap_png`), embedded
        as a ``data:`` URI with alternative text.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    page = report_html(audit, base=path.parent, map_html=map_html, map_png=map_png)
    path.write_text(page, encoding="utf-8")
    return path
