"""Benchmark: ``proximite audit`` as a whole process, cold and with a cached network.

Prints wall time and peak memory (RSS of the child process) for:

- 05 (embedded data), cold: empty network cache;
- 05, warm: the network cache from the cold run;
- 83 (Var, from ../shared/data), cold and warm, when the shared data is present.

Goals (2 cores): 05 cold <= 10 s, 05 cached <= 3 s.

Run: ``python benchmarks/bench_audit.py [--maps]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from proximite import paths

CHILD = (
    "import resource, sys\n"
    "from proximite.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run ``proximite ARGS`` in a fresh process: (wall seconds, its peak RSS in MB)."""
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, *args], check=True, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    return wall, int(done.stderr.strip().splitlines()[-1]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maps", action="store_true", help="also write map.html/png/report")
    opts = parser.parse_args()
    deps = ["05"]
    if (paths.SHARED_DATA_DIR / "roads").is_dir():
        deps.append("83")
    print(f"{'run':<14}{'wall (s)':>10}{'peak RSS (MB)':>16}")
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PROXIMITE_CACHE=str(Path(tmp) / "cache"), PROXIMITE_NO_PROGRESS="1")
        for dep in deps:
            cmd = ["-q", "audit", "--departement", dep,
                   "--out", str(Path(tmp) / dep)]
            if not opts.maps:
                cmd.append("--no-maps")
            for label in ("cold", "cached"):
                wall, rss = run(cmd, env)
                print(f"{dep + ' ' + label:<14}{wall:>10.2f}{rss:>16.0f}")
    print("goals: 05 cold <= 10 s, 05 cached <= 3 s (2 cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
