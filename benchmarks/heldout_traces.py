"""Write the held-out traces of docs/simulation.md ("Held-out traces") from the raw files.

    python benchmarks/heldout_traces.py SHARED_WORKLOADS_DIR OUT_DIR

``SHARED_WORKLOADS_DIR`` holds the raw files of the data manifest (``nab/nyc_taxi.csv``,
``nab/elb_request_count_8c0756.csv``, ``alibaba_genai2026_qps.csv``; not shipped with
slimplace, see ``src/slimplace/data/workloads/SOURCES.md`` for their origin and licences).
Three series no policy default was chosen on:

- ``nyc_xmas.csv``: NAB NYC taxi passengers per 30 min, Monday 2014-12-22 to Sunday
  2014-12-28 (the shipped ``nyc_taxi.csv`` is October-November);
- ``elb_w2.csv``: NAB AWS ELB request count per 5 min from 2014-04-17 (days 8-14; the
  benchmark's 7-day runs of the shipped ``aws_elb.csv`` use days 1-7);
- ``ali_api.csv``: the Alibaba GenAI 2026 trace's *API* requests alone (the shipped
  ``alibaba_genai_qps.csv`` is the total), summed per 10 minutes, bins without a sample
  at 0.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

BIN_S = 600


def write(shared: Path, out: Path) -> list[Path]:
    """The three CSVs (``time,value`` shapes; the benchmark scales them to each peak)."""
    out.mkdir(parents=True, exist_ok=True)
    taxi = pd.read_csv(shared / "nab" / "nyc_taxi.csv", parse_dates=["timestamp"])
    week = taxi[(taxi.timestamp >= "2014-12-22") & (taxi.timestamp < "2014-12-29")]
    elb = pd.read_csv(shared / "nab" / "elb_request_count_8c0756.csv", parse_dates=["timestamp"])
    qps = pd.read_csv(shared / "alibaba_genai2026_qps.csv")
    api = qps[qps.request_type.str.startswith("API")]
    sums = api.groupby((api.timestamp_anon // BIN_S * BIN_S).astype(int)).value.sum()
    sums = sums.reindex(range(sums.index.min(), sums.index.max() + 1, BIN_S), fill_value=0.0)
    frames = {
        "nyc_xmas.csv": week,
        "elb_w2.csv": elb[elb.timestamp >= "2014-04-17"],
        "ali_api.csv": pd.DataFrame({"time_s": sums.index - sums.index.min(), "value": sums}),
    }
    paths = []
    for name, frame in frames.items():
        frame.to_csv(out / name, index=False)
        paths.append(out / name)
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    for path in write(Path(sys.argv[1]), Path(sys.argv[2])):
        print(path)
