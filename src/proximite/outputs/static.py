"""Static PNG gap map (matplotlib, Agg) for written reports.

Same view as :func:`proximite.outputs.maps.gap_map`: communes in the same access
classes and colours (unreachable ones hatched), France Services by kind (circle,
triangle, diamond), the outline of the threshold service area when known, a legend,
a title with the key figure and the OpenStreetMap source note.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from proximite.outputs import _style as st

__all__ = ["gap_png"]


def _metric_crs(audit: Any, gdf: Any) -> Any:
    try:  # the official metric CRS when the sources stage provides it
        from proximite.sources import metric_crs  # type: ignore[attr-defined]

        return metric_crs(str(audit.departement))
    except Exception:
        pass
    dep = str(getattr(audit, "departement", ""))
    if dep and not dep.startswith("97"):
        return "EPSG:2154"
    return gdf.estimate_utm_crs()


def gap_png(audit: Any, path: str | Path, *, dpi: int = 150) -> Path:
    """Draw the gap map of an audit as a PNG image.

    Parameters
    ----------
    audit : Audit
        The commune audit (``communes``, ``sites``, ``summary``,
        ``threshold``, ``departement``).
    path : str or Path
        Output file; parent folders are created.
    dpi : int, default 150
        Resolution (the figure is 10.5 x 7.5 inches).

    Returns
    -------
    Path
        The file written.
    """
    # A bare Figure on the Agg canvas: no pyplot, the caller's backend is untouched.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    threshold = int(getattr(audit, "threshold", 30))
    communes = audit.communes
    crs = _metric_crs(audit, communes)
    communes = communes.to_crs(crs)
    classes = st.classify_minutes(communes["minutes_fs"])

    fig = Figure(figsize=(10.5, 7.5), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.07, 0.66, 0.83))
    ax.set_axis_off()
    ax.set_aspect("equal")
    for cls, colour in enumerate(st.CLASS_COLOURS):
        part = communes[classes == cls]
        if part.empty:
            continue
        part.plot(
            ax=ax,
            color=colour,
            edgecolor="#1a1a1a" if cls == st.UNREACHABLE else "#555555",
            linewidth=0.8 if cls == st.UNREACHABLE else 0.3,
            hatch="////" if cls == st.UNREACHABLE else None,
        )

    handles: list[Any] = [
        Patch(
            facecolor=colour,
            edgecolor="#1a1a1a" if i == st.UNREACHABLE else "#555555",
            hatch="////" if i == st.UNREACHABLE else None,
            label=label,
        )
        for i, (label, colour) in enumerate(zip(st.CLASS_LABELS, st.CLASS_COLOURS, strict=True))
    ]
    sites = getattr(audit, "sites", None)
    if sites is not None and len(sites):
        sites = sites.to_crs(crs)
        kinds = (
            sites["kind"].astype(str)
            if "kind" in sites.columns
            else pd.Series("fixed", sites.index)
        )
        kinds = kinds.where(kinds.isin(st.SITE_KINDS), "fixed")
        for kind in st.SITE_KINDS:
            part = sites[kinds == kind]
            style = st.SITE_STYLES[kind]
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker=style.mpl_marker,
                    markersize=8,
                    markerfacecolor=style.colour,
                    markeredgecolor="#1a1a1a",
                    label=style.label,
                )
            )
            if part.empty:
                continue
            ax.scatter(
                part.geometry.x,
                part.geometry.y,
                s=55,
                marker=style.mpl_marker,
                c=style.colour,
                edgecolors="#1a1a1a",
                linewidths=0.9,
                zorder=5,
            )
    share = st.share_within(audit)
    fig.suptitle(
        f"Accès aux France services — {st.departement_label(audit)}\n"
        f"{st.fmt_pct(share)} de la population à moins de {threshold} min en voiture",
        fontsize=13,
        x=0.5,
        y=0.975,
    )
    legend = fig.legend(
        handles=handles,
        title="Temps d'accès en voiture\nà la France services la plus proche",
        loc="center left",
        bbox_to_anchor=(0.68, 0.5),
        fontsize=9,
        title_fontsize=9.5,
        frameon=True,
        framealpha=0.92,
    )
    legend._legend_box.align = "left"
    fig.text(
        0.02,
        0.02,
        st.SOURCES_NOTE,
        fontsize=7.5,
        color="#333333",
        wrap=True,
    )
    minx, miny, maxx, maxy = communes.total_bounds
    if np.all(np.isfinite([minx, miny, maxx, maxy])):
        pad = 0.03 * max(maxx - minx, maxy - miny)
        ax.set_xlim(minx - pad, maxx + pad)
        ax.set_ylim(miny - pad, maxy + pad)
    fig.savefig(path, dpi=dpi, format="png", facecolor="white")
    return path
