"""Gap map (folium HTML) and static PNG map, without a browser."""

from __future__ import annotations

import copy
import logging
import re
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pytest

from _fake_audit import (
    EVIL_ADDRESS,
    EVIL_COMMUNE_NAME,
    EVIL_SITE_NAME,
    EVIL_VENUE_NAME,
    make_audit,
)
from proximite.outputs import _style as st
from proximite.outputs import gap_map, gap_png, map_html, write_map

ASSETS = Path(__file__).resolve().parents[1] / "src/proximite/outputs/assets/leaflet"

# <script src=...>, <link href=...> and CSS @import/url() pointing to the network
_REMOTE = [
    re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*(?:https?:)?//", re.I),
    re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?\s*(?:https?:)?//", re.I),
    re.compile(r"@import\s+(?:url\()?\s*[\"']?\s*(?:https?:)?//", re.I),
    re.compile(r"url\(\s*[\"']?\s*(?:https?:)?//", re.I),
]


def decode(page: str) -> str:
    """The page with JSON/JS ``\\uXXXX`` escapes decoded (as the browser sees strings)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)


def remote_references(page: str) -> list[str]:
    return [m.group(0) for rx in _REMOTE for m in rx.finditer(page)]


@pytest.fixture(scope="module")
def audit() -> Any:
    return make_audit()


@pytest.fixture(scope="module")
def page(audit: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = write_map(audit, tmp_path_factory.mktemp("map") / "sub" / "map.html")
    return path.read_text(encoding="utf-8")


def test_vendored_leaflet_matches_the_registry_package() -> None:
    pkg = pytest.importorskip("js_lib_leaflet")
    static = Path(pkg.__file__).parent / "static" / "js_lib_leaflet"
    for name in ("leaflet.js", "leaflet.css", "images/layers.png", "images/layers-2x.png"):
        assert (ASSETS / name).read_bytes() == (static / name).read_bytes(), name


def test_map_is_self_contained(audit: Any, page: str) -> None:
    assert remote_references(page) == []
    assert "<script src" not in page.lower()
    assert "Leaflet 1.9.4" in page  # inlined, with its licence header
    assert "sourceMappingURL" not in page
    assert "url(images/" not in page  # Leaflet's images inlined as data: URIs
    for cdn in ("jquery", "bootstrap", "font-awesome", "awesome-markers", "cdn.jsdelivr"):
        assert cdn not in page.lower(), cdn
    assert '<html lang="fr">' in page
    assert "L.tileLayer" not in page  # no basemap by default


def test_map_content_in_french(audit: Any, page: str) -> None:
    for text in (
        "Temps d&#x27;accès en voiture à la France services la plus proche",
        "Inaccessible par la route",
        "Antenne France services",
        "France services itinérante",
    ):
        assert text in decode(page), text
    for layer in (
        "Communes : temps d'accès à une France services",
        "Zone à moins de 10 min d'une France services",
        "Zone à moins de 30 min d'une France services",
        "Lieux de médiation numérique",
        "Haut débit : part des locaux ≥ 30 Mbit/s",
        "France services fixes",
    ):
        assert f'"{layer}"' in decode(page), layer
    # one feature per commune in the access layer, each with the class of its minutes
    # (bands <= 10, <= 20, <= 30, <= 45, > 45, unreachable: classes 0..5)
    feats: dict[str, int] = {}
    for cls, code in re.findall(r'"cls": (\d), "code_insee": "(\w{5})"', page):
        feats.setdefault(code, int(cls))  # the access layer comes first (broadband next)
    minutes = audit.communes.set_index("code_insee")["minutes_fs"].astype(float)
    expect = {
        code: 5 if not np.isfinite(m) else int(np.searchsorted([10, 20, 30, 45], m, side="left"))
        for code, m in minutes.items()
    }
    assert feats == expect
    assert {0, 1, 2, 3, 5} <= set(expect.values())  # the fake audit spans these classes


def test_map_escapes_open_data_text(page: str) -> None:
    decoded = decode(page)
    for raw in (EVIL_SITE_NAME, "<script>alert(1)</script>", "<b onmouseover", "`${alert(4)}`"):
        assert raw not in page
        assert raw not in decoded, raw  # not even once JSON strings are decoded
    assert "&lt;img src=x onerror=alert(1)&gt;" in decoded
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in decoded
    assert "&lt;b onmouseover=alert(3)&gt;" in decoded
    assert "&#96;&#36;{alert(4)}&#96; &#92;u0041" in decoded
    for raw in (EVIL_ADDRESS, EVIL_COMMUNE_NAME, EVIL_VENUE_NAME):
        assert raw not in decoded, raw
        assert st.esc(raw) in decoded, raw  # shown, escaped


def test_folium_save_is_self_contained_too(audit: Any, tmp_path: Path) -> None:
    m = gap_map(audit)
    assert isinstance(m, folium.Map)
    m.save(str(tmp_path / "saved.html"))
    assert remote_references((tmp_path / "saved.html").read_text(encoding="utf-8")) == []


def test_late_plugins_are_stripped(audit: Any, caplog: pytest.LogCaptureFixture) -> None:
    from folium.plugins import Fullscreen

    m = gap_map(audit)
    Fullscreen().add_to(m)
    with caplog.at_level(logging.WARNING, logger="proximite"):
        html = map_html(m)
    assert remote_references(html) == []
    assert "remote script" in caplog.text


def test_tiles_option(audit: Any) -> None:
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    html = map_html(gap_map(audit, tiles=url, attribution="© contributeurs OpenStreetMap"))
    assert "L.tileLayer" in html and url in html
    assert "© contributeurs OpenStreetMap" in decode(html)
    assert remote_references(html) == []  # tiles are data, not scripts


def test_map_without_optional_layers(audit: Any) -> None:
    bare = copy.copy(audit)
    bare.isochrones = None
    bare.mediation = None
    bare.sites = audit.sites.iloc[0:0]
    bare.communes = audit.communes.drop(columns=["share_30mbps", "share_ftth"])
    html = map_html(gap_map(bare))
    assert "px-isochrone" not in html and "Lieux de médiation numérique" not in html
    assert remote_references(html) == []


def test_classes_and_escaping_helpers() -> None:
    values = [0, 10, 10.01, 20, 30, 30.5, 45, 45.1, np.nan, np.inf, None]
    assert list(st.classify_minutes(np.array(values, dtype=object))) == [
        0, 0, 1, 1, 2, 3, 3, 4, 5, 5, 5,
    ]  # fmt: skip
    assert list(st.classify_broadband([0.1, 0.25, 0.6, 1.0, np.nan])) == [0, 1, 2, 3, 4]
    assert st.esc("a`b${c}\\d<e>&'\"") == "a&#96;b&#36;{c}&#92;d&lt;e&gt;&amp;&#x27;&quot;"
    assert st.esc(None) == st.esc(np.nan) == "—"
    assert st.fmt_int(12345) == "12\u202f345"
    assert st.fmt_pct(0.9366) == "93,7\u202f%"
    assert st.fmt_minutes(np.nan) == "inaccessible"


def test_gap_png(audit: Any, tmp_path: Path) -> None:
    from matplotlib import image

    path = gap_png(audit, tmp_path / "out" / "map.png", dpi=50)
    assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = image.imread(path)[..., :3]
    assert img.shape[0] > 300 and img.shape[1] > 400
    assert float(img.std()) > 0.05  # not blank
    rgb = (img.reshape(-1, 3) * 255).round().astype(int)
    colours = {tuple(c) for c in rgb}
    assert len(colours) > 50

    def present(hex_colour: str) -> bool:
        target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
        return bool((np.abs(rgb - target).max(axis=1) <= 3).any())

    for colour in st.CLASS_COLOURS[:4]:  # the classes present in the fake audit
        assert present(colour), colour
    assert present(st.SITE_STYLES["antenna"].colour)
