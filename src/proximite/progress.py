"""Progress bars for long steps (tqdm), quiet when asked or when not on a terminal."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm


def progress_enabled(quiet: bool = False) -> bool:
    """Whether to draw progress bars: not when quiet, not in CI logs unless forced."""
    if quiet or os.environ.get("PROXIMITE_NO_PROGRESS"):
        return False
    return sys.stderr.isatty() or bool(os.environ.get("PROXIMITE_PROGRESS"))


class Steps:
    """A progress bar over named steps of a pipeline.

    Examples
    --------
    >>> with steps(["load", "compute"], enabled=False) as s:
    ...     s.start("load")
    ...     s.start("compute")
    """

    def __init__(self, names: list[str], *, enabled: bool, desc: str = "proximite") -> None:
        self._bar = tqdm(total=len(names), desc=desc, disable=not enabled, unit="step",
                         bar_format="{desc}: {n}/{total} {bar} {elapsed} {postfix}")
        self._started = False

    def start(self, name: str) -> None:
        """Mark the previous step done and show the name of the next one."""
        if self._started:
            self._bar.update(1)
        self._started = True
        self._bar.set_postfix_str(name)

    def close(self) -> None:
        """Mark the last step done and close the bar."""
        if self._started:
            self._bar.update(1)
        self._bar.close()


@contextmanager
def steps(names: list[str], *, enabled: bool, desc: str = "proximite") -> Iterator[Steps]:
    """Context manager yielding a :class:`Steps` bar that closes itself."""
    bar = Steps(names, enabled=enabled, desc=desc)
    try:
        yield bar
    finally:
        bar.close()
