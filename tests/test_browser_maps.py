"""The gap map and the report in a real browser (Chromium via Playwright), offline.

All network is blocked: every request that is not the local ``file://`` page or a
``data:`` URI is aborted and recorded, and the test fails if the page asked for any.
Skipped when Chromium or Playwright is missing, unless ``PROXIMITE_REQUIRE_BROWSER=1``
(set by CI), in which case it fails.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _fake_audit import EVIL_SITE_NAME, make_audit

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = Path("/tmp/proximite-gap-map.png")


def _unavailable(reason: str) -> None:
    if os.environ.get("PROXIMITE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser required (PROXIMITE_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        _unavailable(f"{CHROMIUM} not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def audit() -> Any:
    return make_audit()


@pytest.fixture(scope="module")
def map_file(audit: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from proximite.outputs.maps import write_map

    return write_map(audit, tmp_path_factory.mktemp("browser") / "map.html")


class Offline:
    """A page with all network blocked, recording blocked requests, errors and dialogs."""

    def __init__(self, browser: Any, url: str) -> None:
        self.url = url
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url == self.url or url.startswith("data:"):
            route.continue_()
        else:
            self.blocked.append(f"{route.request.resource_type} {url}")
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def offline_map(browser: Any, map_file: Path) -> Iterator[Offline]:
    url = map_file.as_uri()
    page = Offline(browser, url)
    page.page.goto(url, wait_until="load")
    page.page.wait_for_selector(".px-commune", state="attached", timeout=10_000)
    yield page
    page.close()


def test_map_loads_offline_with_every_commune(offline_map: Offline, audit: Any) -> None:
    page = offline_map.page
    assert offline_map.errors == []
    assert offline_map.blocked == [], "the map tried the network"
    assert page.evaluate("typeof L !== 'undefined' && L.version") == "1.9.4"
    assert page.evaluate("typeof jQuery") == "undefined"
    n_paths = page.locator("path.px-commune").count()
    assert n_paths == len(audit.communes)
    # unreachable communes are drawn in their own class
    assert page.locator("path.px-commune-5").count() == int(
        audit.communes["minutes_fs"].isna().sum()
    )
    legend = page.locator("#px-legend")
    assert legend.is_visible()
    assert "Temps d'accès en voiture à la France services la plus proche" in legend.inner_text()
    control = page.locator(".leaflet-control-layers")
    assert control.count() == 1
    text = control.inner_text()
    assert "Communes : temps d'accès" in text
    assert "Lieux de médiation numérique" in text
    assert page.locator(".px-site").count() == len(audit.sites)


def test_map_screenshot_is_not_blank(offline_map: Offline) -> None:
    from PIL import Image

    page = offline_map.page
    page.wait_for_timeout(300)
    png = page.screenshot(path=str(SCREENSHOT), full_page=False)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50
    # the commune classes' colours are painted (YlOrRd with Leaflet's fill opacity)
    small = image.resize((320, 225))
    assert len(small.getcolors(maxcolors=1 << 20) or []) > 30


def test_hostile_site_name_never_runs(offline_map: Offline) -> None:
    page = offline_map.page
    evil = page.locator(".px-site").first  # site 0 carries EVIL_SITE_NAME
    evil.hover()
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.first.wait_for(state="visible", timeout=5_000)
    assert EVIL_SITE_NAME in tooltip.first.inner_text()
    evil.click()
    popup = page.locator(".leaflet-popup-content")
    popup.first.wait_for(state="visible", timeout=5_000)
    assert EVIL_SITE_NAME in popup.first.inner_text()
    # hover every site and a few communes: no script may run
    for i in range(page.locator(".px-site").count()):
        page.locator(".px-site").nth(i).hover(force=True)
    page.evaluate(
        "document.querySelectorAll('path.px-commune').forEach("
        "p => p.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})))"
    )
    page.wait_for_timeout(200)
    assert page.locator(".leaflet-container img").count() == 0
    assert offline_map.dialogs == []
    assert offline_map.errors == []
    assert offline_map.blocked == []


def test_layers_toggle(offline_map: Offline) -> None:
    page = offline_map.page
    assert page.locator("path.px-isochrone").count() == 0  # hidden at first
    page.get_by_label("Zone à moins de 30 min d'une France services").check()
    assert page.locator("path.px-isochrone").count() >= 1
    page.get_by_label("Haut débit : part des locaux ≥ 30 Mbit/s").check()
    assert page.locator("path.px-broadband").count() > 0
    assert offline_map.errors == []
    assert offline_map.blocked == []


def test_report_offline(browser: Any, audit: Any, map_file: Path) -> None:
    from proximite.outputs.report import write_report
    from proximite.outputs.static import gap_png

    png = gap_png(audit, map_file.parent / "map.png", dpi=60)
    report = write_report(audit, map_file.parent / "report.html", map_html=map_file, map_png=png)
    page = Offline(browser, report.as_uri())
    try:
        # the iframe loads the local map.html: allow that file too
        allowed = {report.as_uri(), map_file.as_uri()}
        page.context.unroute("**/*")

        def route(r: Any) -> None:
            url = r.request.url
            if url in allowed or url.startswith("data:"):
                r.continue_()
            else:
                page.blocked.append(url)
                r.abort()

        page.context.route("**/*", route)
        page.page.goto(report.as_uri(), wait_until="load")
        assert page.page.locator("html").get_attribute("lang") == "fr"
        assert page.page.locator("img[alt]").first.evaluate("i => i.naturalWidth") > 0
        table = page.page.locator("table#beyond-threshold")
        rows = table.locator("tbody tr")
        assert rows.count() == int(audit.communes["beyond_threshold"].sum())
        # sorting by clicking the population header reorders the rows (numeric sort)
        header = table.locator("thead th", has_text="Population")
        cells = "rows => rows.map(r => parseFloat(r.cells[2].getAttribute('data-sort')))"
        header.click()
        assert header.get_attribute("aria-sort") == "ascending"
        values = rows.evaluate_all(cells)
        assert values == sorted(values)
        header.click()
        assert header.get_attribute("aria-sort") == "descending"
        values = rows.evaluate_all(cells)
        assert values == sorted(values, reverse=True)
        assert rows.count() == int(audit.communes["beyond_threshold"].sum())
        assert page.dialogs == []
        assert page.errors == []
        assert page.blocked == []
    finally:
        page.close()


def test_layer_added_after_the_map_is_listed(browser: Any, audit: Any, tmp_path: Path) -> None:
    """An analyst's own layer, added after gap_map, appears in the layer control."""
    import folium

    from proximite.outputs.maps import gap_map, map_html

    m = gap_map(audit)
    folium.FeatureGroup(name="Ma couche").add_child(
        folium.CircleMarker([44.6, 6.1], radius=5)).add_to(m)
    path = tmp_path / "extra.html"
    path.write_text(map_html(m), encoding="utf-8")
    page = Offline(browser, path.as_uri())
    try:
        page.page.goto(page.url, wait_until="load")
        page.page.wait_for_selector(".px-commune", state="attached", timeout=10_000)
        assert page.errors == []
        labels = page.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        assert any("Ma couche" in t for t in labels)
    finally:
        page.close()
