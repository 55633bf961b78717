"""Random job sets: n jobs on m heterogeneous machines at a given load and deadline tightness.

* Machines cycle through ``hardware`` (catalog profiles, in a seeded order), each
  with a PUE drawn in [1.1, 1.6] and a site label.
* Work: job shares drawn log-normal (sigma 0.8) and scaled so that running every
  job uncompressed on all machines in parallel would take ``load * horizon_s``:
  ``sum_j work_j / R_f(j) = load * horizon_s`` with ``R_f = sum_m 1 / service_m``
  the family's aggregate rate.
* Deadlines: a window of ``p_j * U(1, 2 / tightness - 1)`` (mean ``p_j / tightness``)
  where ``p_j`` is the job's uncompressed time on a machine of harmonic-mean
  speed, at least 1.05 x its time on the fastest machine, placed uniformly in
  ``[0, horizon_s]``.
* Floors: the family's best accuracy minus ``U(floor_drop)``; jobs of width
  (slimmable) families are splittable (a continuous width) when ``split`` says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from slimplace.catalog import load_catalog
from slimplace.problem.latency import FlopsLatencyModel
from slimplace.scheduling.model import Job, JobSet, JobSettings, Machine

DEFAULT_FAMILIES = ("us-mobilenet-v1", "ofa-mobilenet-v3", "s-mobilenet-v1")
DEFAULT_HARDWARE = (
    "jetson-agx-orin",
    "t4-server",
    "a100-server",
    "h100-server",
    "jetson-orin-nano",
)


def generate_jobs(
    n_jobs: int,
    n_machines: int,
    *,
    load: float = 0.5,
    tightness: float = 0.5,
    seed: int = 0,
    horizon_s: float = 8 * 3600.0,
    families: Sequence[str] = DEFAULT_FAMILIES,
    hardware: Sequence[str] = DEFAULT_HARDWARE,
    floor_drop: tuple[float, float] = (0.02, 0.12),
    split: Literal["width", "all", "none"] = "width",
    n_sites: int = 1,
    bytes_per_inference: float = 0.0,
    name: str | None = None,
) -> JobSet:
    """A reproducible random job set (same arguments, same job set); see the module doc."""
    if not (0 < tightness <= 1) or load <= 0 or n_jobs < 1 or n_machines < 1:
        raise ValueError("need n_jobs, n_machines >= 1, load > 0 and 0 < tightness <= 1")
    rng = np.random.default_rng(seed)
    cat = load_catalog()
    fams = [cat.families[f] for f in families]
    profiles_all = [cat.hardware[h] for h in hardware]
    perm = rng.permutation(len(profiles_all))
    profiles = [profiles_all[perm[i % len(perm)]] for i in range(n_machines)]
    pue = np.round(rng.uniform(1.1, 1.6, n_machines), 2)
    machines = tuple(
        Machine(
            f"m{i:0{len(str(n_machines))}d}-{p.name}", p.name, float(pue[i]), f"site-{i % n_sites}"
        )
        for i, p in enumerate(profiles)
    )
    full = [max(f.variants, key=lambda v: v.accuracy) for f in fams]
    service = FlopsLatencyModel().service_table(profiles, full).service_s  # (M, F)
    rate = (1.0 / service).sum(axis=0)
    fam = rng.integers(0, len(fams), n_jobs)
    share = rng.lognormal(0.0, 0.8, n_jobs)
    share /= share.sum()
    work = np.maximum(1.0, np.round(load * horizon_s * share * rate[fam]))
    typical = work * n_machines / rate[fam]
    fastest = work * service.min(axis=0)[fam]
    window = typical * rng.uniform(1.0, max(1.0, 2.0 / tightness - 1.0), n_jobs)
    window = np.minimum(np.maximum(window, 1.05 * fastest), horizon_s)
    release = np.round(rng.uniform(0.0, 1.0, n_jobs) * (horizon_s - window), 3)
    deadline = np.round(release + window, 3)
    best = np.array([f.accuracy for f in full])[fam]
    lightest = np.array([min(v.accuracy for v in f.variants) for f in fams])[fam]
    floor = np.round(np.maximum(lightest, best - rng.uniform(*floor_drop, n_jobs)), 4)
    width_family = np.array([all(v.kind == "width" for v in f.variants) for f in fams])[fam]
    splittable = {
        "width": width_family,
        "all": np.ones(n_jobs, bool),
        "none": np.zeros(n_jobs, bool),
    }[split]
    site = rng.integers(0, n_sites, n_jobs)
    jobs = tuple(
        Job(
            id=f"job-{j:0{len(str(n_jobs))}d}",
            family=fams[fam[j]].name,
            work=float(work[j]),
            release_s=float(release[j]),
            deadline_s=float(deadline[j]),
            input_node=f"site-{site[j]}" if bytes_per_inference > 0 else None,
            input_bytes=float(work[j] * bytes_per_inference),
            accuracy_floor=float(floor[j]),
            splittable=bool(splittable[j]),
        )
        for j in range(n_jobs)
    )
    used_hw = sorted({p.name for p in profiles})
    return JobSet(
        name=name or f"generated-{n_jobs}x{n_machines}-seed{seed}",
        jobs=jobs,
        machines=machines,
        hardware=tuple(cat.hardware[h] for h in used_hw),
        families=tuple(sorted((cat.families[f] for f in set(families)), key=lambda f: f.name)),
        link_kinds=(cat.link_kinds["wan"],),
        settings=JobSettings(),
        description=f"generate_jobs({n_jobs}, {n_machines}, load={load}, "
        f"tightness={tightness}, seed={seed})",
    )
