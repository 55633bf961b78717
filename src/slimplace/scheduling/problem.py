"""The compiled scheduling instance: a :class:`JobSet` as numpy arrays, shared by every
method and the checker.

Index spaces: jobs (J), machines (M), hardware profiles (P), families (F),
variants over all families (V), and per (profile, family) the *options* (K): the
family's variants that are Pareto-efficient in (service time on that profile,
accuracy), sorted by service time, with ``option_hull`` marking the vertices of
the upper concave hull (the points a splittable job mixes between).

Physical model (one for every method):

* run time of job j at variant v on machine m: ``work_j * service_s[profile_m, v]``
  (:class:`~slimplace.problem.latency.FlopsLatencyModel`: FLOPs over effective
  throughput, or a measured per-item latency for the profile's device class);
* a job runs its server at full load: energy ``machine_busy_w * run time`` with
  ``machine_busy_w = PUE * P_peak`` when idle servers sleep, or ``PUE * (P_peak -
  P_idle)`` plus the constant ``static_energy_j = sum PUE * P_idle * horizon``
  when they stay awake (linear power model, Fan et al., ISCA 2007; PUE, The Green
  Grid WP#49);
* moving the input: ``transfer_s = path latency + bits * sum(1 / bandwidth)`` and
  ``network_energy_j = bits * sum(energy per bit)`` over the links of the route
  (Baliga et al., Proc. IEEE 2011); the job may start on m at ``ready_s =
  release + transfer_s`` (the transfer does not occupy the server).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.scheduling.model import JobSet, ScheduleObjective


@dataclass(frozen=True, eq=False)
class ScheduleProblem:
    """Arrays describing one job set; immutable by convention (never write into them)."""

    jobset: JobSet
    objective: ScheduleObjective
    budget_j: float | None
    horizon_s: float
    static_energy_j: float
    # jobs (J)
    job_ids: tuple[str, ...]
    job_family: IntArray
    job_work: FloatArray
    job_release_s: FloatArray
    job_deadline_s: FloatArray
    job_floor: FloatArray
    job_utility: FloatArray
    job_split: BoolArray
    # machines (M)
    machine_ids: tuple[str, ...]
    machine_profile: IntArray
    machine_busy_w: FloatArray
    # profiles (P), families (F), variants (V)
    profile_names: tuple[str, ...]
    family_names: tuple[str, ...]
    variant_names: tuple[str, ...]
    variant_family: IntArray
    variant_accuracy: FloatArray
    variant_width: FloatArray
    service_s: FloatArray
    # options per (profile, family): (P, F, K), -1 padded
    option_variant: IntArray
    option_hull: BoolArray
    # jobs x machines (J, M)
    transfer_s: FloatArray
    network_energy_j: FloatArray
    admissible: BoolArray

    @property
    def n_jobs(self) -> int:
        """Number of jobs."""
        return len(self.job_ids)

    @property
    def n_machines(self) -> int:
        """Number of machines."""
        return len(self.machine_ids)

    @property
    def ready_s(self) -> FloatArray:
        """Earliest start of each job on each machine: release plus input transfer (J, M)."""
        return self.job_release_s[:, None] + self.transfer_s

    def job_options(self, j: int) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
        """Options of job ``j`` on every machine: variant (M, K; -1 where none), run time s,
        energy J (compute plus input transfer) and accuracy; inadmissible entries are inf/-1."""
        var = self.option_variant[self.machine_profile, self.job_family[j]]
        ok = (var >= 0) & self.admissible[j][:, None]
        safe = np.maximum(var, 0)
        run = self.job_work[j] * self.service_s[self.machine_profile[:, None], safe]
        energy = run * self.machine_busy_w[:, None] + self.network_energy_j[j][:, None]
        acc = self.variant_accuracy[safe]
        return (
            np.where(ok, var, -1),
            np.where(ok, run, np.inf),
            np.where(ok, energy, np.inf),
            np.where(ok, acc, -np.inf),
        )

    def with_objective(
        self, objective: ScheduleObjective, budget_j: float | None = None
    ) -> ScheduleProblem:
        """The same instance under another objective or budget (arrays are shared)."""
        return replace(self, objective=objective, budget_j=budget_j)
