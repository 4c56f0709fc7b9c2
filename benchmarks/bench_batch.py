"""Benchmark: the national batch (``proximite batch --all``) on a local Dask cluster.

Runs in a fresh process (so peak memory is the run's own) into an empty output
folder, maps off by default: network audits for the départements with a road
file (05, 83 from ../shared/data), the screening estimate for the 99 others.
Then runs it again to time a re-run where everything is skipped.

Prints wall time, the client's peak RSS, the workers' peak RSS (from the
manifest: each task records its worker's peak) and the run's counts.

Goals (2 cores): national first run <= 90 s, re-run <= 5 s, every worker < 2 GB.

Run: ``python benchmarks/bench_batch.py [--workers 2] [--departements all] [--maps]
[--network-cache DIR]``
"""

from __future__ import annotations

import argparse
import json
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


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Run ``proximite ARGS`` in a fresh process: (wall seconds, its peak RSS in MB, code)."""
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, *args], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False)
    wall = time.perf_counter() - t0
    try:
        rss = int(done.stderr.strip().splitlines()[-1]) / 1024
    except (IndexError, ValueError):
        print(done.stderr, file=sys.stderr)
        rss = float("nan")
    return wall, rss, done.returncode


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table; returns the batch's exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--departements", default="all")
    parser.add_argument("--maps", action="store_true", help="also write maps and reports")
    parser.add_argument("--network-cache", default=None,
                        help="network cache folder (default: a fresh one, i.e. cold)")
    opts = parser.parse_args(argv)
    if not paths.shared_data_available():
        print(f"shared data not available at {paths.SHARED_DATA_DIR}: nothing to do")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        cache = opts.network_cache or str(Path(tmp) / "cache")
        env = dict(os.environ, PROXIMITE_CACHE=cache, PROXIMITE_NO_PROGRESS="1")
        cmd = ["-q", "batch", "--departements", opts.departements, "--out", str(out),
               "--workers", str(opts.workers)]
        if not opts.maps:
            cmd.append("--no-maps")
        print(f"{'run':<10}{'wall (s)':>10}{'client RSS (MB)':>17}{'worker RSS (MB)':>17}"
              f"{'ok':>5}{'skipped':>9}{'failed':>8}")
        code = 0
        for label in ("first", "re-run"):
            wall, rss, code = run(cmd, env)
            manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
            counts = manifest["last_run"]["counts"]
            worker = max((e.get("peak_rss_mb") or 0.0
                          for e in manifest["departements"].values()), default=0.0)
            print(f"{label:<10}{wall:>10.1f}{rss:>17.0f}{worker:>17.0f}"
                  f"{counts['ok']:>5}{counts['skipped']:>9}{counts['failed']:>8}")
        table = json.loads((out / "national.json").read_text(encoding="utf-8"))
        cal = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
        a = table["all"]
        print(f"{a['departements']} départements, {a['communes']} communes, "
              f"{a['population']:,} inhabitants, share within threshold "
              f"{a['share_within_threshold']}")
        print(f"detour factor {cal['factor']} ({cal['label']}); calibration error "
              f"{cal.get('overall')}")
    return code


if __name__ == "__main__":
    sys.exit(main())
