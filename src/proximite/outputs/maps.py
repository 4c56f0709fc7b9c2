"""Interactive gap map of an audit: a self-contained folium/Leaflet HTML page.

The map shows communes coloured by car minutes to the nearest France Services,
the sites by kind, the 10/20/30-minute service areas, digital-mediation venues and
broadband coverage, with a French legend and a layer control.

Self-contained: folium links Leaflet, jQuery, Bootstrap, Font Awesome and
awesome-markers from CDNs. :func:`gap_map` drops all of those links and inlines
Leaflet 1.9.4 (``assets/leaflet``, copied from the ``django-js-lib-leaflet`` wheel,
images turned into ``data:`` URIs). Nothing else is needed: the map only uses core
Leaflet (GeoJSON layers, ``L.divIcon`` markers, tooltips, popups bound from strings,
layer control), never folium's jQuery-based ``Popup`` nor icon fonts. The page
therefore renders with no network at all; only the optional basemap (``tiles=``)
fetches tiles.

Every text coming from open data (names, addresses, services) is HTML-escaped
with :func:`proximite.outputs._style.esc` before it reaches folium.
"""

from __future__ import annotations

import base64
import logging
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pandas as pd
from branca.element import Element, MacroElement
from folium.template import Template

from proximite.outputs import _style as st

logger = logging.getLogger("proximite")

__all__ = ["COMMUNE_CLASS", "gap_map", "map_html", "write_map"]

#: CSS class of every commune polygon of the access layer (one SVG path per commune).
COMMUNE_CLASS = "px-commune"
BROADBAND_CLASS = "px-broadband"
ISOCHRONE_CLASS = "px-isochrone"
MEDIATION_CLASS = "px-mediation"

_COORD_DIGITS = 5  # ~1 m: keeps the embedded GeoJSON small


# --------------------------------------------------------------------------- assets


class _RawElement(Element):
    """An element rendered verbatim (not as a Jinja template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


def _asset(name: str) -> bytes:
    return resources.files("proximite.outputs").joinpath("assets", "leaflet", name).read_bytes()


@cache
def leaflet_assets() -> tuple[str, str]:
    """Leaflet's JavaScript and CSS, ready to inline.

    The source-map comment is dropped from the script and the CSS images are
    replaced by ``data:`` URIs, so neither makes any request.

    Returns
    -------
    tuple of str
        ``(javascript, css)``.
    """
    js = _asset("leaflet.js").decode("utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)
    js = js.replace("</script", "<\\/script")
    css = _asset("leaflet.css").decode("utf-8")

    def data_uri(match: re.Match[str]) -> str:
        png = base64.b64encode(_asset(f"images/{match.group(1)}")).decode("ascii")
        return f"url(data:image/png;base64,{png})"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", data_uri, css)
    return js, css


_REMOTE_TAG = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script>"
    r"|<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*>",
    re.IGNORECASE,
)


def remote_assets(page: str) -> list[str]:
    """Script and stylesheet tags of a page that load something over the network.

    Parameters
    ----------
    page : str
        An HTML document.

    Returns
    -------
    list of str
        The offending ``<script src=…>`` / ``<link href=…>`` tags (empty when
        the page is self-contained).
    """
    return _REMOTE_TAG.findall(page)


def _make_self_contained(m: folium.Map) -> None:
    """Replace folium's CDN links by inline Leaflet on ``m`` and its figure."""

    def walk(element: Element) -> None:
        if hasattr(element, "default_js"):
            element.default_js = []
            element.default_css = []
        for child in list(element._children.values()):
            walk(child)

    walk(m)
    js, css = leaflet_assets()
    figure = m.get_root()
    figure.header.add_child(_RawElement(f"<style>{css}</style>"), name="leaflet_css_inline")
    figure.header.add_child(_RawElement(f"<script>{js}</script>"), name="leaflet_js_inline")


# --------------------------------------------------------------------------- controls


class _HtmlControl(MacroElement):
    """A Leaflet control holding fixed HTML (legend, note), with optional CSS."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            {% if this.css %}<style>{{ this.css }}</style>{% endif %}
        {% endmacro %}
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
            {{ this.get_name() }}.onAdd = function (map) {
                var div = L.DomUtil.create("div", {{ this.class_name|tojson }});
                div.id = {{ this.element_id|tojson }};
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self, html: str, *, element_id: str, position: str = "bottomright", css: str = ""
    ) -> None:
        super().__init__()
        self._name = "HtmlControl"
        self.html = html
        self.element_id = element_id
        self.position = position
        self.class_name = "px-control leaflet-control"
        self.css = css


_CSS = """
.leaflet-container { background: #f4f4f1; font-family: system-ui, sans-serif; }
.leaflet-control-layers { font-size: 13px; line-height: 1.3; }
.px-control { background: rgba(255,255,255,.94); padding: 8px 10px; border-radius: 6px;
  box-shadow: 0 1px 4px rgba(0,0,0,.35); font-size: 12.5px; line-height: 1.35;
  color: #1a1a1a; max-width: 300px; }
.px-control h2 { font-size: 13px; margin: 0 0 6px 0; }
.px-control p { margin: 4px 0; }
.px-legend-row { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
.px-swatch { display: inline-block; width: 18px; height: 12px; border: 1px solid #555;
  flex: none; }
.px-swatch-unreachable { background-image: repeating-linear-gradient(45deg,
  rgba(0,0,0,.55) 0 2px, transparent 2px 5px); }
.px-legend-section { margin-top: 6px; font-weight: 600; }
.px-source { margin-top: 6px; font-size: 11px; color: #444; }
.px-site svg { display: block; }
.px-tip { font-size: 12.5px; line-height: 1.35; }
"""


def _legend_html(audit: Any) -> str:
    threshold = int(getattr(audit, "threshold", 30))
    rows = [f"<h2>{st.esc(st.TITLE)}</h2>"]
    share = st.share_within(audit)
    rows.append(
        f"<p><strong>{st.esc(st.fmt_pct(share))}</strong> de la population à moins de "
        f"{threshold} min ({st.esc(st.departement_label(audit))})</p>"
    )
    for i, (label, colour) in enumerate(zip(st.CLASS_LABELS, st.CLASS_COLOURS, strict=True)):
        extra = " px-swatch-unreachable" if i == st.UNREACHABLE else ""
        rows.append(
            f'<div class="px-legend-row"><span class="px-swatch{extra}" '
            f'style="background-color:{colour}"></span>{st.esc(label)}</div>'
        )
    rows.append('<div class="px-legend-section">France services</div>')
    for kind in st.SITE_KINDS:
        rows.append(
            f'<div class="px-legend-row">{st.site_svg(kind)}'
            f"{st.esc(st.SITE_STYLES[kind].label)}</div>"
        )
    rows.append('<div class="px-legend-section">Couche « Haut débit » : locaux ≥ 30 Mbit/s</div>')
    for label, colour in zip(st.BROADBAND_LABELS, st.BROADBAND_COLOURS, strict=True):
        rows.append(
            f'<div class="px-legend-row"><span class="px-swatch" '
            f'style="background-color:{colour}"></span>{st.esc(label)}</div>'
        )
    rows.append(f'<p class="px-source">{st.esc(st.SOURCES_NOTE)}</p>')
    return "".join(rows)


# --------------------------------------------------------------------------- data


def _value(row: pd.Series, name: str, default: Any = None) -> Any:
    value = row.get(name, default)
    return default if st.is_missing(value) else value


def _feature_collection(gdf: Any, properties: list[dict[str, Any]]) -> dict[str, Any]:
    """GeoJSON FeatureCollection of ``gdf`` geometries (EPSG:4326) with given properties."""
    import shapely

    geoms = gdf.to_crs("EPSG:4326").geometry if gdf.crs is not None else gdf.geometry
    features = []
    for geom, props in zip(geoms, properties, strict=True):
        if geom is None or geom.is_empty:
            continue
        rounded = shapely.set_precision(geom, 10**-_COORD_DIGITS, mode="pointwise")
        features.append(
            {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(rounded)}
        )
    return {"type": "FeatureCollection", "features": features}


def _commune_tip(row: pd.Series, threshold: int, departement: str) -> str:
    nom = st.esc(_value(row, "nom"))
    code = st.esc(_value(row, "code_insee"))
    lines = [f"<strong>{nom}</strong> ({code})"]
    lines.append(f"Population : {st.fmt_int(_value(row, 'population'))}")
    minutes = _value(row, "minutes_fs")
    if minutes is None:
        lines.append("Temps d'accès : <strong>inaccessible par la route</strong>")
    else:
        lines.append(
            f"Temps d'accès moyen : <strong>{st.esc(st.fmt_minutes(minutes))}</strong>"
            f" (max. {st.esc(st.fmt_minutes(_value(row, 'minutes_fs_max')))})"
        )
    lines.append(
        f"Part de la population à moins de {threshold} min : "
        f"{st.esc(st.fmt_pct(_value(row, 'share_within_threshold')))}"
    )
    fs = st.esc(_value(row, "nearest_fs_name"))
    fs_dep = _value(row, "nearest_fs_departement")
    if bool(_value(row, "served_across_border", False)) or (
        fs_dep is not None and str(fs_dep) != str(departement)
    ):
        fs += f" (hors département, {st.esc(fs_dep)})"
    lines.append(f"France services la plus proche : {fs}")
    unreachable = _value(row, "unreachable_population", 0) or 0
    if float(unreachable) > 0:
        lines.append(f"Population sans accès routier : {st.fmt_int(unreachable)}")
    if "minutes_mediation" in row.index:
        lines.append(
            "Médiation numérique la plus proche : "
            f"{st.esc(st.fmt_minutes(_value(row, 'minutes_mediation')))}"
        )
    if "share_30mbps" in row.index:
        lines.append(f"Locaux ≥ 30 Mbit/s : {st.esc(st.fmt_pct(_value(row, 'share_30mbps')))}")
    if bool(_value(row, "double_fracture", False)):
        lines.append("<em>Double fracture : loin des services et mal desservie en débit</em>")
    return '<div class="px-tip">' + "<br>".join(lines) + "</div>"


def _site_tip(row: pd.Series, departement: str) -> str:
    kind = str(_value(row, "kind", "fixed"))
    style = st.SITE_STYLES.get(kind, st.SITE_STYLES["fixed"])
    lines = [f"<strong>{st.esc(_value(row, 'lib_fs'))}</strong>", st.esc(style.label)]
    address = " ".join(
        st.esc(v, missing="") for v in (_value(row, "adresse"), _value(row, "lib_com")) if v
    )
    if address:
        lines.append(address)
    dep = _value(row, "departement")
    if bool(_value(row, "outside_departement", False)) or (
        dep is not None and str(dep) != str(departement)
    ):
        lines.append(f"Hors département ({st.esc(dep)})")
    hours = _value(row, "weekly_hours")
    if hours is not None:
        lines.append(f"Ouverture : {st.esc(st.fmt_float(hours, 1))} h par semaine")
    if bool(_value(row, "open_saturday", False)):
        lines.append("Ouvert le samedi")
    return '<div class="px-tip">' + "<br>".join(lines) + "</div>"


def _mediation_tip(row: pd.Series) -> str:
    lines = [f"<strong>{st.esc(_value(row, 'nom'))}</strong>"]
    address = " ".join(
        st.esc(v, missing="") for v in (_value(row, "adresse"), _value(row, "commune")) if v
    )
    if address:
        lines.append(address)
    services = _value(row, "services")
    if services is not None and not isinstance(services, str):
        services = ", ".join(str(s) for s in services)
    if services:
        lines.append(f"Services : {st.esc(services)}")
    if bool(_value(row, "admin_help", False)):
        lines.append("Aide aux démarches administratives")
    return '<div class="px-tip">' + "<br>".join(lines) + "</div>"


def _is_empty(gdf: Any) -> bool:
    return gdf is None or len(gdf) == 0


# --------------------------------------------------------------------------- layers


def _add_communes(m: folium.Map, audit: Any) -> None:
    communes = audit.communes
    threshold = int(getattr(audit, "threshold", 30))
    departement = str(getattr(audit, "departement", ""))
    classes = st.classify_minutes(communes["minutes_fs"])
    props = []
    for i, (_, row) in enumerate(communes.iterrows()):
        props.append(
            {
                "code_insee": str(row["code_insee"]),
                "cls": int(classes[i]),
                "tip": _commune_tip(row, threshold, departement),
            }
        )
    data = _feature_collection(communes, props)

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        cls = feature["properties"]["cls"]
        unreachable = cls == st.UNREACHABLE
        return {
            "fillColor": st.CLASS_COLOURS[cls],
            "fillOpacity": 0.78,
            "color": "#1a1a1a" if unreachable else "#555555",
            "weight": 1.4 if unreachable else 0.6,
            "dashArray": "4 3" if unreachable else None,
            "className": f"{COMMUNE_CLASS} {COMMUNE_CLASS}-{cls}",
        }

    def highlight(feature: dict[str, Any]) -> dict[str, Any]:
        return {"weight": 2.5, "color": "#000000"}

    folium.GeoJson(
        data,
        name="Communes : temps d'accès à une France services",
        style_function=style,
        highlight_function=highlight,
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
        attribution=st.esc(st.SOURCES_NOTE),
    ).add_to(m)


def _add_broadband(m: folium.Map, audit: Any) -> None:
    communes = audit.communes
    if "share_30mbps" not in communes.columns:
        return
    classes = st.classify_broadband(communes["share_30mbps"])
    props = []
    for i, (_, row) in enumerate(communes.iterrows()):
        tip = (
            f'<div class="px-tip"><strong>{st.esc(_value(row, "nom"))}</strong><br>'
            f"Locaux ≥ 30 Mbit/s : {st.esc(st.fmt_pct(_value(row, 'share_30mbps')))}<br>"
            f"Locaux raccordables FTTH : {st.esc(st.fmt_pct(_value(row, 'share_ftth')))}</div>"
        )
        props.append({"code_insee": str(row["code_insee"]), "cls": int(classes[i]), "tip": tip})

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        return {
            "fillColor": st.BROADBAND_COLOURS[feature["properties"]["cls"]],
            "fillOpacity": 0.85,
            "color": "#4d4d4d",
            "weight": 0.5,
            "className": BROADBAND_CLASS,
        }

    folium.GeoJson(
        _feature_collection(communes, props),
        name="Haut débit : part des locaux ≥ 30 Mbit/s",
        style_function=style,
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
        show=False,
    ).add_to(m)


_ISO_STYLE = {10: ("#08519c", None), 20: ("#3182bd", "6 4"), 30: ("#6baed6", "2 4")}


def _add_isochrones(m: folium.Map, audit: Any) -> None:
    iso = getattr(audit, "isochrones", None)
    if _is_empty(iso) or "minutes" not in iso.columns:
        return
    for minutes in sorted(pd.unique(iso["minutes"])):
        part = iso[iso["minutes"] == minutes]
        part = part[part.geometry.notna() & ~part.geometry.is_empty]
        if part.empty:
            continue
        colour, dash = _ISO_STYLE.get(int(minutes), ("#6baed6", "2 4"))
        style = {
            "color": colour,
            "weight": 2,
            "dashArray": dash,
            "fillColor": colour,
            "fillOpacity": 0.06,
            "className": ISOCHRONE_CLASS,
            "interactive": False,
        }
        label = f"Zone à moins de {int(minutes)} min d'une France services"
        folium.GeoJson(
            _feature_collection(part, [{"minutes": int(minutes)}] * len(part)),
            name=label,
            style_function=lambda _f, s=style: s,
            show=False,
        ).add_to(m)


def _add_sites(m: folium.Map, audit: Any) -> None:
    sites = getattr(audit, "sites", None)
    if _is_empty(sites):
        return
    departement = str(getattr(audit, "departement", ""))
    kinds = (
        sites["kind"].astype(str) if "kind" in sites.columns else pd.Series("fixed", sites.index)
    )
    kinds = kinds.where(kinds.isin(st.SITE_KINDS), "fixed")
    names = {
        "fixed": "France services fixes",
        "antenna": "Antennes France services",
        "itinerant": "France services itinérantes",
    }
    for kind in st.SITE_KINDS:
        part = sites[kinds == kind]
        if part.empty:
            continue
        props = []
        for _, row in part.iterrows():
            tip = _site_tip(row, departement)
            props.append({"id_fs": str(_value(row, "id_fs", "")), "tip": tip, "popup": tip})
        icon = folium.DivIcon(
            html=st.site_svg(kind),
            icon_size=(18, 18),
            icon_anchor=(9, 9),
            class_name=f"px-site px-site-{kind}",
        )
        folium.GeoJson(
            _feature_collection(part, props),
            name=names[kind],
            marker=folium.Marker(icon=icon),
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=False),
            popup=folium.GeoJsonPopup(fields=["popup"], labels=False, localize=False),
        ).add_to(m)


def _add_mediation(m: folium.Map, audit: Any) -> None:
    venues = getattr(audit, "mediation", None)
    if _is_empty(venues):
        return
    venues = venues[venues.geometry.notna() & ~venues.geometry.is_empty]
    if venues.empty:
        return
    props = [{"tip": _mediation_tip(row)} for _, row in venues.iterrows()]
    folium.GeoJson(
        _feature_collection(venues, props),
        name="Lieux de médiation numérique",
        marker=folium.CircleMarker(
            radius=4,
            color="#ffffff",
            weight=1,
            fill=True,
            fill_color="#3f007d",
            fill_opacity=0.9,
            class_name=MEDIATION_CLASS,
        ),
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=False),
        show=False,
    ).add_to(m)


class GapMap(folium.Map):
    """A folium map whose layer control is always rendered last.

    Layers an analyst adds after :func:`gap_map` (``folium.FeatureGroup(...).add_to(m)``)
    are then listed in the layer control instead of breaking it.
    """

    def render(self, **kwargs: Any) -> None:
        """Move the layer control(s) after every layer, then render."""
        for key in [k for k, child in self._children.items()
                    if isinstance(child, folium.LayerControl)]:
            self._children.move_to_end(key)
        super().render(**kwargs)


# --------------------------------------------------------------------------- API


def gap_map(audit: Any, *, tiles: str | None = None, attribution: str | None = None) -> folium.Map:
    """Interactive map of the access gaps of an audit.

    Communes are coloured by the population-weighted car time to the nearest
    France Services (0–10, 10–20, 20–30, 30–45, > 45 min, unreachable), with
    tooltips; France Services sites are drawn by kind (fixed: circle, antenna:
    triangle, itinerant: diamond); the 10/20/30-minute areas, the
    digital-mediation venues and broadband coverage are extra layers (hidden at
    first) listed in a layer control. Labels are in French.

    Parameters
    ----------
    audit : Audit
        The commune audit (``communes``, ``sites``, ``isochrones``, ``mediation``,
        ``summary``, ``threshold``, ``departement``).
    tiles : str, optional
        A basemap: a tile URL template (``https://…/{z}/{x}/{y}.png``) or a folium
        tile name. None (default) draws no basemap, so that the map needs no network.
    attribution : str, optional
        Attribution of ``tiles``; required by folium for a custom URL.

    Returns
    -------
    folium.Map
        The map. Its HTML (``m.save()``, :func:`map_html`) inlines Leaflet and
        loads nothing from the network.
    """
    communes = audit.communes
    if communes.crs is not None and not communes.crs.equals("EPSG:4326"):
        communes = communes.to_crs("EPSG:4326")
    minx, miny, maxx, maxy = communes.total_bounds
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        minx, miny, maxx, maxy = -5.2, 41.3, 9.6, 51.1  # metropolitan France
    m = GapMap(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=9,
        tiles=None,
        control_scale=True,
        zoom_snap=0.25,
    )
    if tiles is not None:
        folium.TileLayer(
            tiles=tiles, attr=attribution, name="Fond de carte", overlay=False, control=True
        ).add_to(m)

    _add_communes(m, audit)
    _add_isochrones(m, audit)
    _add_broadband(m, audit)
    _add_mediation(m, audit)
    _add_sites(m, audit)
    m.add_child(_HtmlControl(_legend_html(audit), element_id="px-legend", css=_CSS))
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    m.fit_bounds(
        [[miny, minx], [maxy, maxx]], padding_top_left=(10, 10), padding_bottom_right=(260, 10)
    )

    figure = m.get_root()
    figure.title = st.esc(f"Accès aux France services — {st.departement_label(audit)}")
    _make_self_contained(m)
    return m


def map_html(m: folium.Map) -> str:
    """Render a map made by :func:`gap_map` to a complete, self-contained HTML page.

    Parameters
    ----------
    m : folium.Map
        The map.

    Returns
    -------
    str
        The HTML document (``lang="fr"``). Any remaining remote ``<script>`` or
        stylesheet link (e.g. from a plugin added afterwards) is removed with a warning.
    """
    page = m.get_root().render()
    page = page.replace("<html>", '<html lang="fr">', 1)
    remote = remote_assets(page)
    if remote:
        logger.warning("map: removed %d remote script/stylesheet link(s)", len(remote))
        page = _REMOTE_TAG.sub("", page)
    return page


def write_map(audit: Any, path: str | Path, **kwargs: Any) -> Path:
    """Write the gap map of an audit as one self-contained HTML file.

    Parameters
    ----------
    audit : Audit
        The commune audit.
    path : str or Path
        Output file (``map.html``); parent folders are created.
    **kwargs
        Passed to :func:`gap_map` (``tiles``, ``attribution``).

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(map_html(gap_map(audit, **kwargs)), encoding="utf-8")
    return path
