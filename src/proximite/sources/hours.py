"""Opening hours strings of the France Services list.

The official file has one column per weekday (``h_lundi`` ... ``h_samedi``)
holding ``"HH:MM - HH:MM"`` intervals separated by ``" / "``, for example
``"09:00 - 12:00 / 13:30 - 17:00"`` (in the 2024-08-01 file every non-empty
value has exactly this shape, with 1 to 3 intervals). The parser also accepts
the usual hand-typed variants (``9h-12h``, ``9h30 à 12h``, ``;``/``,``/``et``
separators, en dash). ``"00:00 - 00:00"`` (75 values in the real file) is a
placeholder for *closed* and counts zero hours.
"""

from __future__ import annotations

import math
import re

_TIME = r"(\d{1,2})\s*(?:[:hH.]\s*(\d{2})?)?"
_INTERVAL_RE = re.compile(rf"^\s*{_TIME}\s*(?:-|–|—|à|a)\s*{_TIME}\s*$")
_SEPARATORS_RE = re.compile(r"\s*(?:/|;|,|\+|\bet\b)\s*")


def _minutes(hour: str, minute: str | None) -> int:
    h = int(hour)
    m = int(minute) if minute else 0
    if h > 24 or m > 59 or (h == 24 and m):
        raise ValueError(f"invalid time {hour}:{minute}")
    return h * 60 + m


def parse_intervals(text: str | None) -> list[tuple[int, int]]:
    """Parse one day's opening hours into (start, end) minutes after midnight.

    Parameters
    ----------
    text : str or None
        E.g. ``"09:00 - 12:00 / 13:30 - 17:00"``. Empty or missing means closed.

    Returns
    -------
    list of (int, int)
        Intervals with ``start < end``; ``"00:00 - 00:00"`` gives no interval.

    Raises
    ------
    ValueError
        When the text is not a list of intervals, or an interval ends before it starts.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return []
    text = str(text).strip()
    if not text:
        return []
    out = []
    for part in _SEPARATORS_RE.split(text):
        if not part:
            continue
        m = _INTERVAL_RE.match(part)
        if not m:
            raise ValueError(f"unparsable opening hours {text!r}")
        start = _minutes(m.group(1), m.group(2))
        end = _minutes(m.group(3), m.group(4))
        if start == end == 0:
            continue  # "00:00 - 00:00": closed
        if end <= start:
            raise ValueError(f"interval ends before it starts in {text!r}")
        out.append((start, end))
    return out


def union_minutes(intervals: list[tuple[int, int]]) -> int:
    """Minutes covered by the union of intervals (overlaps counted once)."""
    total = 0
    current_end = -1
    for start, end in sorted(intervals):
        start = max(start, current_end)
        if end > start:
            total += end - start
        current_end = max(current_end, end)
    return total


def day_hours(text: str | None) -> float:
    """Hours open during one day: length of the union of its intervals.

    Overlapping intervals (a real case: ``"09:00 - 12:00 / 09:00 - 16:30 / 14:00 - 16:30"``)
    are counted once.

    Raises
    ------
    ValueError
        As :func:`parse_intervals`.
    """
    return union_minutes(parse_intervals(text)) / 60.0
