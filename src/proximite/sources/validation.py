"""Shared checks for every loader: codes, coordinates, duplicates.

Policy (the same for every loader)
----------------------------------
INSEE commune codes
    Must match ``^(\\d{5}|2[AB]\\d{3})$``. A 4-digit number (an integer that lost
    its leading zero, e.g. ``5061`` or ``5061.0``) and lower-case Corsican codes
    (``2a004``) are *repaired* (``05061``, ``2A004``) with a ``repaired_insee``
    warning. A missing code is a ``missing_insee`` warning; anything else is a
    ``malformed_insee`` warning and the code becomes missing. The row is kept.
Département codes
    Normalised to 2 or 3 characters: ``"1"``/``1`` -> ``"01"``, ``"2a"`` -> ``"2A"``,
    ``"971"`` kept.
Coordinates
    A point must fall inside metropolitan France (Corsica included) or one of the
    overseas boxes. A point outside France whose swapped (lat, lon) falls inside
    is swapped back with a ``swapped_coordinates`` warning. A point outside France
    either way gets a ``coordinates_outside_france`` warning; missing or
    non-numeric coordinates a ``missing_coordinates`` / ``malformed_coordinates``
    warning. Such rows are left out of the point layer and kept (with every
    column) in ``gdf.attrs["report"].without_coordinates``.
Duplicate ids
    ``duplicate_id`` warning per repeated id; rows are kept.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd

from proximite.errors import InputError, LoadReport

INSEE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")

#: Bounding boxes (lon_min, lat_min, lon_max, lat_max), slightly generous.
FRANCE_BOXES: dict[str, tuple[float, float, float, float]] = {
    "metropole": (-5.6, 41.2, 9.9, 51.3),  # includes Corsica
    "guadeloupe": (-61.9, 15.8, -60.9, 16.6),  # 971
    "martinique": (-61.3, 14.35, -60.75, 14.9),  # 972
    "guyane": (-54.7, 2.0, -51.5, 6.0),  # 973
    "reunion": (55.1, -21.5, 55.9, -20.8),  # 974
    "saint_pierre_et_miquelon": (-56.5, 46.7, -56.1, 47.2),  # 975
    "mayotte": (44.9, -13.1, 45.4, -12.5),  # 976
    "saint_barthelemy": (-62.95, 17.85, -62.75, 17.98),  # 977
    "saint_martin": (-63.2, 18.0, -62.95, 18.15),  # 978
}

_METRO_DEPS = {f"{i:02d}" for i in range(1, 96) if i != 20} | {"2A", "2B"}
_OVERSEAS_DEPS = {"971", "972", "973", "974", "975", "976", "977", "978"}
_OTHER_OVERSEAS = {"984", "986", "987", "988", "989"}
VALID_DEPARTEMENTS = frozenset(_METRO_DEPS | _OVERSEAS_DEPS | _OTHER_OVERSEAS)


def _missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _as_text(value: object) -> str:
    """Text of a code that may have been stored as a number (5061 or 5061.0)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return text


def normalise_insee(value: object) -> str | None:
    """Normalise one INSEE commune code.

    Parameters
    ----------
    value : object
        A code as read (str, int, float or missing).

    Returns
    -------
    str or None
        The 5-character code (``"05061"``, ``"2A004"``), or None when missing.

    Raises
    ------
    ValueError
        When the value cannot be a commune code.

    Notes
    -----
    Idempotent: ``normalise_insee(normalise_insee(x)) == normalise_insee(x)``.
    """
    if _missing(value):
        return None
    text = _as_text(value).upper()
    if INSEE_RE.match(text):
        return text
    if text.isdigit() and len(text) == 4:
        return "0" + text
    raise ValueError(f"not an INSEE commune code: {value!r}")


def normalise_postcode(value: object) -> str | None:
    """Normalise a French postcode to 5 digits (``1100`` -> ``"01100"``); None if missing.

    Raises
    ------
    ValueError
        When the value is not 4 or 5 digits.
    """
    if _missing(value):
        return None
    text = _as_text(value)
    if text.isdigit() and len(text) in (4, 5):
        return text.zfill(5)
    raise ValueError(f"not a postcode: {value!r}")


def normalise_departement(value: object) -> str:
    """Normalise a département code (``5``, ``"5"``, ``"05"`` -> ``"05"``; ``"2a"`` -> ``"2A"``).

    Parameters
    ----------
    value : object
        A département code as read.

    Returns
    -------
    str
        A code of :data:`VALID_DEPARTEMENTS`.

    Raises
    ------
    InputError
        When the value is not a known département code.
    """
    if _missing(value):
        raise InputError("missing département code")
    text = _as_text(value).upper()
    if text.isdigit() and len(text) <= 2:
        text = text.zfill(2)
    if text not in VALID_DEPARTEMENTS:
        raise InputError(f"unknown département code {value!r}")
    return text


def departement_list(departements: str | int | Iterable[str | int] | None) -> list[str] | None:
    """Normalise a ``departements`` filter argument (one code or several) or None."""
    if departements is None:
        return None
    if isinstance(departements, (str, int, np.integer)):
        departements = [departements]
    return sorted({normalise_departement(d) for d in departements})


def departement_from_insee(code: str | None) -> str | None:
    """Département of a valid INSEE code (``"05061"`` -> ``"05"``, ``"97105"`` -> ``"971"``)."""
    if code is None or _missing(code):
        return None
    return code[:3] if code[:2] in ("97", "98") else code[:2]


def departement_from_postcode(postcode: str | None) -> str | None:
    """Département of a postcode, best effort.

    Corsican postcodes 200xx-201xx are Corse-du-Sud (``2A``), 202xx-206xx
    Haute-Corse (``2B``); ``97x``/``98x`` give the 3-digit overseas codes. A
    postcode can serve communes of a neighbouring département (e.g. 05110 also
    serves communes of 04): prefer the INSEE code whenever there is one.
    """
    if postcode is None or _missing(postcode) or len(postcode) != 5:
        return None
    if postcode.startswith("20"):
        return "2A" if postcode[2] in "01" else "2B"
    if postcode[:2] in ("97", "98"):
        return postcode[:3]
    dep = postcode[:2]
    return dep if dep in VALID_DEPARTEMENTS else None


def clean_insee_column(
    values: pd.Series, report: LoadReport, field: str, *, required: bool = True
) -> pd.Series:
    """Normalise a column of INSEE codes, recording repairs and errors.

    Parameters
    ----------
    values : pandas.Series
        Raw codes; the index holds the 1-based row numbers used in warnings.
    report : LoadReport
        Receives ``repaired_insee``, ``malformed_insee`` and ``missing_insee``.
    field : str
        Column name, for warnings.
    required : bool
        When False, missing codes are not reported.

    Returns
    -------
    pandas.Series
        ``str`` codes, missing where absent or malformed.
    """
    out: list[str | None] = []
    for row, value in values.items():
        try:
            code = normalise_insee(value)
        except ValueError:
            report.warn(
                "malformed_insee",
                f"invalid INSEE code {value!r}",
                row=row,
                field=field,
                value=value,
            )
            out.append(None)
            continue
        if code is None:
            if required:
                report.warn("missing_insee", "no INSEE code", row=row, field=field)
        elif code != str(value).strip():
            report.warn(
                "repaired_insee",
                f"INSEE code {value!r} read as {code!r}",
                row=row,
                field=field,
                value=value,
            )
        out.append(code)
    return pd.Series(out, index=values.index, dtype="str")


def clean_postcode_column(values: pd.Series, report: LoadReport, field: str) -> pd.Series:
    """Normalise postcodes to 5-digit text; invalid ones become missing (``malformed_postcode``)."""
    out: list[str | None] = []
    for row, value in values.items():
        try:
            out.append(normalise_postcode(value))
        except ValueError:
            report.warn(
                "malformed_postcode",
                f"invalid postcode {value!r}",
                row=row,
                field=field,
                value=value,
            )
            out.append(None)
    return pd.Series(out, index=values.index, dtype="str")


def check_duplicates(values: pd.Series, report: LoadReport, field: str) -> int:
    """Warn (``duplicate_id``) for each repeated non-missing value; return their number."""
    dup = values.notna() & values.duplicated(keep="first")
    for row, value in values[dup].items():
        report.warn(
            "duplicate_id", f"{field} {value!r} already seen", row=row, field=field, value=value
        )
    return int(dup.sum())


def in_france(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Boolean mask of points inside metropolitan France or an overseas box."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    mask = np.zeros(lon.shape, dtype=bool)
    for x0, y0, x1, y1 in FRANCE_BOXES.values():
        mask |= (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    return mask


def _to_float(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse coordinates (decimal comma accepted); return floats and a 'present' mask."""
    text = values.map(lambda v: None if _missing(v) else str(v).strip().replace(",", "."))
    present = text.notna()
    nums = pd.to_numeric(text, errors="coerce").astype(float)
    return nums, present


def validate_coordinates(
    lat: pd.Series,
    lon: pd.Series,
    report: LoadReport,
    *,
    lat_field: str = "latitude",
    lon_field: str = "longitude",
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Check point coordinates against France, swapping back inverted pairs.

    Parameters
    ----------
    lat, lon : pandas.Series
        Raw latitudes and longitudes (text or numbers); the index holds the row numbers.
    report : LoadReport
        Receives ``missing_coordinates``, ``malformed_coordinates``,
        ``swapped_coordinates`` and ``coordinates_outside_france`` warnings.

    Returns
    -------
    (lat, lon, ok) : tuple of pandas.Series
        Float coordinates (swapped back where needed) and the mask of rows with
        a usable point.
    """
    y, y_present = _to_float(lat)
    x, x_present = _to_float(lon)
    missing = ~(y_present & x_present)
    malformed = ~missing & (y.isna() | x.isna() | ~np.isfinite(y) | ~np.isfinite(x))
    for row in y.index[missing]:
        report.warn("missing_coordinates", "no latitude/longitude", row=row)
    for row in y.index[malformed]:
        report.warn(
            "malformed_coordinates", f"unreadable coordinates {lat[row]!r}, {lon[row]!r}", row=row
        )
    numeric = ~missing & ~malformed
    inside = pd.Series(in_france(x.to_numpy(), y.to_numpy()), index=y.index) & numeric
    swapped_inside = pd.Series(in_france(y.to_numpy(), x.to_numpy()), index=y.index) & numeric
    swap = numeric & ~inside & swapped_inside
    outside = numeric & ~inside & ~swapped_inside
    for row in y.index[swap]:
        report.warn(
            "swapped_coordinates",
            f"latitude/longitude ({y[row]}, {x[row]}) inverted: swapped back",
            row=row,
            field=lat_field,
        )
    for row in y.index[outside]:
        report.warn(
            "coordinates_outside_france",
            f"point (lat {y[row]}, lon {x[row]}) is outside France: no geometry",
            row=row,
            field=lat_field,
        )
    new_y = y.where(~swap, x)
    new_x = x.where(~swap, y)
    ok = inside | swap
    return new_y, new_x, ok


def strip_accents(text: str) -> str:
    """Lower-case ASCII folding used for vocabulary matching."""
    norm = unicodedata.normalize("NFKD", text)
    return "".join(c for c in norm if not unicodedata.combining(c)).casefold()
