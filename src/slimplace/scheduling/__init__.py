"""Deadline scheduling of compressible ML batch jobs on heterogeneous machines.

>>> from slimplace.scheduling import compile_jobs, default_schedulers, generate_jobs
>>> problem = compile_jobs(generate_jobs(8, 2, seed=1))
>>> schedule = default_schedulers().create("heuristic").solve(problem)
>>> check_schedule(problem, schedule).feasible
True

Job files: :func:`load_jobs`; instances: :func:`generate_jobs`; methods by name:
:func:`default_schedulers` (``milp``, ``heuristic``, ``edf``, ``lightest``,
``energy-greedy``); the independent checker: :func:`check_schedule`; the
accuracy-energy front: :func:`sweep`. See ``docs/scheduling.md``.
"""

from slimplace.scheduling.check import ScheduleCheck, Violation, check_schedule
from slimplace.scheduling.compile import compile_jobs
from slimplace.scheduling.generate import generate_jobs
from slimplace.scheduling.heuristic import Heuristic
from slimplace.scheduling.io import dump_jobs, load_jobs, loads_jobs, save_jobs
from slimplace.scheduling.milp import ExactMilp
from slimplace.scheduling.model import Job, JobSet, JobSettings, Machine
from slimplace.scheduling.pareto import Front, FrontPoint, energy_for_accuracy, sweep
from slimplace.scheduling.problem import ScheduleProblem
from slimplace.scheduling.registry import Scheduler, SchedulerRegistry, default_schedulers
from slimplace.scheduling.schedule import Schedule

__all__ = [
    "ExactMilp",
    "Front",
    "FrontPoint",
    "Heuristic",
    "Job",
    "JobSet",
    "JobSettings",
    "Machine",
    "Schedule",
    "ScheduleCheck",
    "ScheduleProblem",
    "Scheduler",
    "SchedulerRegistry",
    "Violation",
    "check_schedule",
    "compile_jobs",
    "default_schedulers",
    "dump_jobs",
    "energy_for_accuracy",
    "generate_jobs",
    "load_jobs",
    "loads_jobs",
    "save_jobs",
    "sweep",
]
