"""slimplace: where ML inference runs on the edge-network-cloud continuum, with which
compressed variant and how many servers on, at minimal energy or carbon.

The main entry points are importable from here; each is imported on first use
(module ``__getattr__``, PEP 562), so ``import slimplace`` stays fast::

    import slimplace

    problem = slimplace.compile_problem(slimplace.load_scenario("examples/demo.yaml"))
    result = slimplace.solve(problem, "nearest-feasible")
    steps = slimplace.simulate(problem, "reactive", horizon_s=3600, step_s=60,
                               records="memory").steps()   # a pandas DataFrame
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    # scenarios
    "Scenario": "slimplace.scenario.model",
    "load_scenario": "slimplace.scenario.io",
    "loads_scenario": "slimplace.scenario.io",
    "save_scenario": "slimplace.scenario.io",
    "load_catalog": "slimplace.catalog",
    "demo_scenario": "slimplace.demo",
    # planning
    "CompiledProblem": "slimplace.problem.compiled",
    "compile_problem": "slimplace.problem.compile",
    "Plan": "slimplace.plan",
    "solve": "slimplace.solve",
    "compare": "slimplace.solve",
    "comparison_table": "slimplace.solve",
    "plan_summary": "slimplace.solve",
    "evaluate": "slimplace.evaluate",
    "default_registry": "slimplace.methods",
    # operating
    "simulate": "slimplace.sim",
    "SimResult": "slimplace.sim",
    "default_policies": "slimplace.sim",
    "build_workload": "slimplace.sim",
    "build_carbon": "slimplace.sim",
    # scheduling
    "load_jobs": "slimplace.scheduling",
    "compile_jobs": "slimplace.scheduling",
    "default_schedulers": "slimplace.scheduling",
    "check_schedule": "slimplace.scheduling",
    # studies
    "run_sweep": "slimplace.study",
    "load_results": "slimplace.study",
    "write_report": "slimplace.study",
    # errors
    "SlimplaceError": "slimplace.errors",
    "InputError": "slimplace.errors",
}

__all__ = [
    "CompiledProblem",
    "InputError",
    "Plan",
    "Scenario",
    "SimResult",
    "SlimplaceError",
    "__version__",
    "build_carbon",
    "build_workload",
    "check_schedule",
    "compare",
    "comparison_table",
    "compile_jobs",
    "compile_problem",
    "default_policies",
    "default_registry",
    "default_schedulers",
    "demo_scenario",
    "evaluate",
    "load_catalog",
    "load_jobs",
    "load_results",
    "load_scenario",
    "loads_scenario",
    "plan_summary",
    "run_sweep",
    "save_scenario",
    "simulate",
    "solve",
    "write_report",
]


#: Functions named like the submodule that defines them (``slimplace.solve`` the function
#: lives in ``slimplace/solve.py``): importing the submodule must not replace them.
_SHADOWED = frozenset({"solve", "evaluate"})


class _Package(ModuleType):
    """The package module: when Python's import system binds the submodule
    ``slimplace.solve`` (or ``slimplace.evaluate``) as an attribute of the package, the
    function of the same name is bound instead; the submodule stays importable
    (``from slimplace.solve import compare``, ``sys.modules``)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    """Import a public entry point on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'slimplace' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # what the names are, for type checkers and IDEs
    from slimplace.catalog import load_catalog
    from slimplace.demo import demo_scenario
    from slimplace.errors import InputError, SlimplaceError
    from slimplace.evaluate import evaluate
    from slimplace.methods import default_registry
    from slimplace.plan import Plan
    from slimplace.problem.compile import compile_problem
    from slimplace.problem.compiled import CompiledProblem
    from slimplace.scenario.io import load_scenario, loads_scenario, save_scenario
    from slimplace.scenario.model import Scenario
    from slimplace.scheduling import check_schedule, compile_jobs, default_schedulers, load_jobs
    from slimplace.sim import SimResult, build_carbon, build_workload, default_policies, simulate
    from slimplace.solve import compare, comparison_table, plan_summary, solve
    from slimplace.study import load_results, run_sweep, write_report
