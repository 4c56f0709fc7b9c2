"""Loaders of the real open data used by proximite.

Every loader returns EPSG:4326 data with INSEE codes as ``str`` and attaches its
:class:`~proximite.errors.LoadReport` as ``attrs["report"]``. Validation rules
are shared in :mod:`proximite.sources.validation`.

Note: point layers carry ``attrs["report"].without_coordinates`` (a DataFrame). pandas
compares ``attrs`` when concatenating, which fails on DataFrames; clear ``attrs``
(``gdf.attrs = {}``) before ``pd.concat`` of several loaded layers.
"""

from __future__ import annotations

from proximite.sources.broadband import load_broadband
from proximite.sources.communes import departement_name, load_communes, read_commune_layer
from proximite.sources.crs import metric_crs
from proximite.sources.france_services import load_france_services
from proximite.sources.mediation import load_conseillers_numeriques, load_mediation_venues

__all__ = [
    "departement_name",
    "load_broadband",
    "load_communes",
    "load_conseillers_numeriques",
    "load_france_services",
    "load_mediation_venues",
    "metric_crs",
    "read_commune_layer",
]
