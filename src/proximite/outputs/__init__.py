"""Outputs of an audit: interactive gap map, static PNG map, HTML report.

``outputs.files`` (GeoPackage, CSV, JSON writers) lives alongside; this package
exports the visual outputs.
"""

from proximite.outputs.maps import gap_map, map_html, write_map
from proximite.outputs.report import report_html, write_report
from proximite.outputs.static import gap_png

__all__ = ["gap_map", "gap_png", "map_html", "report_html", "write_map", "write_report"]
