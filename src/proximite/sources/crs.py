"""The metric (projected) CRS to use for distances in each département."""

from __future__ import annotations

from functools import cache

from pyproj import CRS

from proximite.errors import InputError
from proximite.sources.validation import normalise_departement

#: Metropolitan France, Corsica included: RGF93 v1 / Lambert-93.
LAMBERT_93 = 2154

#: Official UTM-based projected CRS of the overseas départements and collectivities.
OVERSEAS_EPSG: dict[str, int] = {
    "971": 5490,  # Guadeloupe: RGAF09 / UTM zone 20N
    "972": 5490,  # Martinique: RGAF09 / UTM zone 20N
    "973": 2972,  # Guyane: RGFG95 / UTM zone 22N
    "974": 2975,  # La Réunion: RGR92 / UTM zone 40S
    "975": 4467,  # Saint-Pierre-et-Miquelon: RGSPM06 / UTM zone 21N
    "976": 4471,  # Mayotte: RGM04 / UTM zone 38S
    "977": 5490,  # Saint-Barthélemy: RGAF09 / UTM zone 20N
    "978": 5490,  # Saint-Martin: RGAF09 / UTM zone 20N
}


@cache
def _crs(epsg: int) -> CRS:
    return CRS.from_epsg(epsg)


def metric_crs(departement: str | int) -> CRS:
    """Projected CRS (metres) for a département.

    Parameters
    ----------
    departement : str or int
        Département code (``"05"``, ``5``, ``"2A"``, ``"971"`` ...).

    Returns
    -------
    pyproj.CRS
        EPSG:2154 (Lambert-93) for metropolitan France including Corsica; the
        official UTM-based CRS for overseas départements (see :data:`OVERSEAS_EPSG`).

    Raises
    ------
    InputError
        For an unknown code, or a collectivity without a supported CRS (984-989).

    Examples
    --------
    >>> from proximite import metric_crs
    >>> metric_crs("05").to_epsg(), metric_crs("2A").to_epsg(), metric_crs("974").to_epsg()
    (2154, 2154, 2975)
    """
    code = normalise_departement(departement)
    if code in OVERSEAS_EPSG:
        return _crs(OVERSEAS_EPSG[code])
    if len(code) == 3:
        raise InputError(f"no metric CRS defined for overseas territory {code!r}")
    return _crs(LAMBERT_93)
