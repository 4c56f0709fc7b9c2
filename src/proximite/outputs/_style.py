"""Shared look of the gap outputs: access classes, colours, site symbols, French formatting.

The interactive map (:mod:`proximite.outputs.maps`), the static PNG
(:mod:`proximite.outputs.static`) and the report (:mod:`proximite.outputs.report`)
all take their classes, colours and number formats from here, so that the three
views of one audit always agree.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Upper bounds (minutes, inclusive) of the access classes; the last class is open.
CLASS_BREAKS: tuple[float, ...] = (10.0, 20.0, 30.0, 45.0)

#: Labels of the five reachable classes, then of the unreachable one (index 5).
CLASS_LABELS: tuple[str, ...] = (
    "0–10 min",
    "10–20 min",
    "20–30 min",
    "30–45 min",
    "> 45 min",
    "Inaccessible par la route",
)

#: ColorBrewer YlOrRd (5 classes), a sequential scheme rated colour-blind safe,
#: then a neutral grey for unreachable communes (hatched/dashed in the outputs).
CLASS_COLOURS: tuple[str, ...] = (
    "#ffffb2",
    "#fecc5c",
    "#fd8d3c",
    "#f03b20",
    "#bd0026",
    "#8c8c8c",
)
UNREACHABLE = len(CLASS_LABELS) - 1

#: Share of premises with >= 30 Mbit/s: class upper bounds, labels and ColorBrewer Blues.
BROADBAND_BREAKS: tuple[float, ...] = (0.25, 0.5, 0.75)
BROADBAND_LABELS: tuple[str, ...] = (
    "moins de 25 %",
    "25 à 50 %",
    "50 à 75 %",
    "75 % et plus",
    "inconnu",
)
BROADBAND_COLOURS: tuple[str, ...] = ("#eff3ff", "#bdd7e7", "#6baed6", "#2171b5", "#f0f0f0")

TITLE = "Temps d'accès en voiture à la France services la plus proche"
OSM_NOTE = "© OpenStreetMap contributors"
SOURCES_NOTE = (
    "Sources : ANCT (France services), INSEE (communes, population), "
    "réseau routier © OpenStreetMap contributors (ODbL), calcul proximite"
)


@dataclass(frozen=True)
class SiteStyle:
    """How one kind of France Services site is drawn."""

    label: str
    colour: str
    mpl_marker: str
    svg_shape: str


#: Okabe–Ito colours plus distinct shapes, so the kinds differ without colour vision.
SITE_STYLES: dict[str, SiteStyle] = {
    "fixed": SiteStyle(
        "France services fixe",
        "#0072B2",
        "o",
        '<circle cx="9" cy="9" r="6.5"/>',
    ),
    "antenna": SiteStyle(
        "Antenne France services",
        "#009E73",
        "^",
        '<polygon points="9,1.5 16.5,15.5 1.5,15.5"/>',
    ),
    "itinerant": SiteStyle(
        "France services itinérante",
        "#CC79A7",
        "D",
        '<polygon points="9,1 17,9 9,17 1,9"/>',
    ),
}
SITE_KINDS: tuple[str, ...] = tuple(SITE_STYLES)


def site_svg(kind: str) -> str:
    """Inline SVG symbol (18 x 18 px) of a site kind, for map markers and legends.

    Parameters
    ----------
    kind : str
        One of :data:`SITE_KINDS`; anything else is drawn as ``"fixed"``.

    Returns
    -------
    str
        An ``<svg>`` element (no external reference).
    """
    style = SITE_STYLES.get(kind, SITE_STYLES["fixed"])
    return (
        '<svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true">'
        f'<g fill="{style.colour}" stroke="#1a1a1a" stroke-width="1.5">{style.svg_shape}</g>'
        "</svg>"
    )


def classify_minutes(minutes: pd.Series | np.ndarray) -> np.ndarray:
    """Access class (0..5) of each travel time in minutes.

    Classes are right-closed: 10.0 min is in "0–10 min", 30.0 min in "20–30 min",
    so that a commune at exactly the threshold counts as within it. Missing or
    infinite values give :data:`UNREACHABLE` (5).

    Parameters
    ----------
    minutes : Series or ndarray
        Travel times in minutes (NaN or inf when unreachable).

    Returns
    -------
    ndarray of int
        Class index per value.
    """
    values = pd.to_numeric(pd.Series(np.asarray(minutes, dtype=object)), errors="coerce")
    arr = values.to_numpy(dtype=float)
    cls = np.digitize(arr, CLASS_BREAKS, right=True)
    cls[~np.isfinite(arr)] = UNREACHABLE
    return cls.astype(int)


def classify_broadband(share: pd.Series | np.ndarray) -> np.ndarray:
    """Broadband class (0..4) of shares of premises with >= 30 Mbit/s (4 = unknown).

    Parameters
    ----------
    share : Series or ndarray
        Shares in [0, 1], NaN when unknown.

    Returns
    -------
    ndarray of int
        Class index per value.
    """
    values = pd.to_numeric(pd.Series(np.asarray(share, dtype=object)), errors="coerce")
    arr = values.to_numpy(dtype=float)
    cls = np.digitize(arr, BROADBAND_BREAKS, right=False)
    cls[~np.isfinite(arr)] = len(BROADBAND_LABELS) - 1
    return cls.astype(int)


def is_missing(value: object) -> bool:
    """True for None, NaN, NaT and pandas NA."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def esc(value: object, missing: str = "—") -> str:
    """Escape any value for HTML text, attributes and JavaScript template literals.

    On top of :func:`html.escape` (``& < > " '``), the backtick, ``$`` and the
    backslash are turned into character references, so the text is also inert
    inside a JavaScript template literal (folium's ``Tooltip`` puts its text in one).

    Parameters
    ----------
    value : object
        Anything; missing values give ``missing``.
    missing : str, default "—"
        Text shown for missing values (not escaped: pass safe text).

    Returns
    -------
    str
        Safe HTML text.
    """
    if is_missing(value):
        return missing
    text = html.escape(str(value), quote=True)
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


_NNBSP = "\u202f"  # narrow no-break space, the French thousands separator


def fmt_int(value: object) -> str:
    """Format an integer the French way (``12 345``); ``—`` when missing."""
    if is_missing(value):
        return "—"
    return f"{round(float(value)):,}".replace(",", _NNBSP)


def fmt_float(value: object, digits: int = 1) -> str:
    """Format a number with a decimal comma (``12,5``); ``—`` when missing or infinite."""
    if is_missing(value):
        return "—"
    x = float(value)
    if not math.isfinite(x):
        return "—"
    return f"{x:,.{digits}f}".replace(",", _NNBSP).replace(".", ",")


def fmt_minutes(value: object) -> str:
    """Format minutes (``12,5 min``); ``inaccessible`` when missing or infinite."""
    if is_missing(value) or not math.isfinite(float(value)):
        return "inaccessible"
    return f"{fmt_float(value, 1)} min"


def fmt_pct(value: object, digits: int = 1) -> str:
    """Format a share in [0, 1] as a French percentage (``93,2 %``)."""
    if is_missing(value):
        return "—"
    return f"{fmt_float(100.0 * float(value), digits)}{_NNBSP}%"


def share_within(audit: object) -> float:
    """Share of the population within the audit's threshold.

    Taken from ``audit.summary["share_within_threshold"]`` (computed by the audit from
    its population points).

    Parameters
    ----------
    audit : Audit
        The commune audit.

    Returns
    -------
    float
        Share in [0, 1] (NaN when there is no population).
    """
    return float(audit.summary["share_within_threshold"])


def departement_label(audit: object) -> str:
    """``"Hautes-Alpes (05)"`` when the summary carries a name, else ``"département 05"``."""
    summary = getattr(audit, "summary", None) or {}
    code = str(getattr(audit, "departement", summary.get("departement", "")))
    name = summary.get("departement_nom")
    if name and not is_missing(name):
        return f"{name} ({code})"
    return f"département {code}"
