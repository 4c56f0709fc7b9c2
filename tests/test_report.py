"""HTML report of an audit, without a browser."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from _fake_audit import EVIL_COMMUNE_NAME, EVIL_SITE_NAME, make_audit
from proximite.outputs import gap_png, write_map, write_report
from proximite.outputs.report import beyond_threshold_table


class Tables(HTMLParser):
    """Collects each table's caption, header scopes and rows of cell (text, attrs)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, Any]] = {}
        self._table: dict[str, Any] | None = None
        self._cell: list[str] | None = None
        self._attrs: dict[str, str | None] = {}
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._table = {"caption": "", "rows": [], "scopes": []}
            self.tables[a.get("id") or f"t{len(self.tables)}"] = self._table
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr" and self._table is not None:
            self._table["rows"].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell, self._attrs = [], a
            if tag == "th":
                self._table["scopes"].append(a.get("scope"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None and self._table is not None:
            self._table["rows"][-1].append(("".join(self._cell).strip(), self._attrs))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._in_caption and self._table is not None:
            self._table["caption"] += data
        elif self._cell is not None:
            self._cell.append(data)


def parse(page: str) -> dict[str, dict[str, Any]]:
    parser = Tables()
    parser.feed(page)
    return parser.tables


@pytest.fixture(scope="module")
def audit() -> Any:
    a = make_audit()
    # make the commune with HTML in its name one of those beyond the threshold
    c = a.communes.copy()
    i = c.index[c["nom"] == EVIL_COMMUNE_NAME][0]
    c.loc[i, ["minutes_fs", "beyond_threshold", "share_within_threshold"]] = [52.5, True, 0.0]
    c.loc[i, "nearest_fs_name"] = EVIL_SITE_NAME
    a.communes = c
    a.summary = dict(a.summary, communes_beyond_threshold=int(c["beyond_threshold"].sum()))
    return a


@pytest.fixture(scope="module")
def report(audit: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("report")
    png = gap_png(audit, out / "img" / "map.png", dpi=40)
    html_map = write_map(audit, out / "map.html")
    path = write_report(audit, out / "report.html", map_html=html_map, map_png=png)
    return path, path.read_text(encoding="utf-8")


def test_report_is_self_contained_french(report: tuple[Path, str]) -> None:
    _, page = report
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="fr">' in page
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*(src|href)=\"//", page)
    assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{100,}" alt="[^"]{40,}"', page)
    assert '<iframe src="map.html"' in page and '<a href="map.html">' in page


def test_key_figures(report: tuple[Path, str], audit: Any) -> None:
    tables = parse(report[1])
    key = tables["key-figures"]
    assert key["caption"] == "Chiffres clés"
    assert "row" in key["scopes"] and "col" in key["scopes"]
    text = {r[0][0]: r[1][0] for r in key["rows"][1:]}
    pop = audit.communes["population"].sum()
    assert text["Population du département"] == f"{pop:,}".replace(",", "\u202f")
    within = (audit.communes["population"] * audit.communes["share_within_threshold"]).sum()
    pct = f"{100 * within / pop:.1f}".replace(".", ",")
    assert text["Part de la population à moins de 30 min"] == f"{pct}\u202f%"
    beyond = int(audit.communes["beyond_threshold"].sum())
    assert text["Communes au-delà de 30 min (en moyenne pondérée)"] == f"{beyond} sur 163"
    assert text["France services prises en compte"] == "21, dont 0 hors du département"
    assert "Population à moins de 20 min d'une France services" in text


def test_beyond_threshold_rows_are_ordered(report: tuple[Path, str], audit: Any) -> None:
    table = parse(report[1])["beyond-threshold"]
    assert table["caption"].startswith("Communes au-delà de 30 min")
    header, *rows = table["rows"]
    assert [h[0] for h in header][:4] == [
        "Commune",
        "Code INSEE",
        "Population",
        "Temps moyen (min)",
    ]
    assert len(rows) == int(audit.communes["beyond_threshold"].sum())
    minutes = [float(r[3][1]["data-sort"]) for r in rows]
    assert minutes == sorted(minutes, reverse=True)
    n_unreachable = int(audit.communes["minutes_fs"].isna().sum())
    assert [r[3][0] for r in rows[:n_unreachable]] == ["inaccessible"] * n_unreachable
    expected = beyond_threshold_table(audit)["code_insee"].tolist()
    assert [r[1][0] for r in rows] == expected
    # the commune names are row headers
    assert all(r[0][1].get("scope") == "row" for r in rows)
    # the hostile names come out as text
    names = [r[0][0] for r in rows]
    assert EVIL_COMMUNE_NAME in names
    assert any(EVIL_SITE_NAME in r[5][0] for r in rows)


def test_report_escapes_open_data(report: tuple[Path, str]) -> None:
    page = report[1]
    assert EVIL_SITE_NAME not in page
    assert EVIL_COMMUNE_NAME not in page
    assert "<b onmouseover" not in page
    assert page.count("<script>") == 1  # only the tiny sorting script
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_double_fracture_list(report: tuple[Path, str], audit: Any) -> None:
    table = parse(report[1])["double-fracture"]
    assert table["caption"].startswith("Double fracture")
    assert len(table["rows"]) - 1 == len(audit.double_fracture)
    assert {r[1][0] for r in table["rows"][1:]} == set(audit.double_fracture["code_insee"])


def test_report_without_maps_or_gaps(audit: Any, tmp_path: Path) -> None:
    a = copy.copy(audit)
    c = a.communes.copy()
    c["beyond_threshold"] = False
    c["minutes_fs"] = np.minimum(np.nan_to_num(c["minutes_fs"], nan=5.0), 25.0)
    a.communes = c
    a.double_fracture = c.iloc[0:0]
    a.summary = dict(a.summary, communes_beyond_threshold=0)
    page = write_report(a, tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "Aucune commune n'est au-delà de 30 min." in page
    assert "Aucune commune ne cumule" in page
    assert "Carte non fournie" in page
    assert "beyond-threshold" not in page
    assert "0 sur 163" in page


def test_key_figures_use_the_audit_threshold(tmp_path: Path) -> None:
    """At 45 min the row for 45 min shows the population within 45 min, not 30."""
    a = make_audit(threshold=45)
    within = a.summary["population_within_threshold"]
    assert within != a.summary["population_within_30"]
    page = write_report(a, tmp_path / "report.html").read_text(encoding="utf-8")
    text = {r[0][0]: r[1][0] for r in parse(page)["key-figures"]["rows"][1:]}
    row = text["Population à moins de 45 min d'une France services"]
    assert row.startswith(f"{round(within):,}".replace(",", "\u202f") + " (")
