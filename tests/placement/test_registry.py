import logging
from dataclasses import dataclass
from unittest import mock

import pytest

from slimplace.registry import (
    NamedRegistry,
    UnknownNameError,
    UnknownOptionError,
    accepted_options,
)


@dataclass
class Thing:
    size: int = 1


class SharingRegistry(NamedRegistry[Thing]):
    shared_options = ("time_limit_s",)


def test_create_refuses_unknown_options_drops_shared_ones_and_suggests_names() -> None:
    reg = SharingRegistry()
    reg.register("thing", Thing, kind="a", description="a thing")
    reg.register("other", lambda **kw: Thing(len(kw)), kind="b")
    assert reg.create("thing", size=3, time_limit_s=5.0) == Thing(3)
    with pytest.raises(
        UnknownOptionError, match="'thing' takes no option 'colour'; it takes: size"
    ):
        reg.create("thing", size=3, colour="red")
    assert reg.create("other", x=1, y=2) == Thing(2)
    assert reg.names() == ["thing", "other"] and reg.names("b") == ["other"]
    assert "thing" in reg and "nothing" not in reg
    with pytest.raises(UnknownNameError, match="did you mean thing"):
        reg.info("thin")


def test_accepted_options_keeps_the_signature_s_parameters() -> None:
    assert accepted_options(Thing, {"size": 2, "seed": 0}) == {"size": 2}


def test_broken_plugin_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    good = mock.Mock()
    good.name, good.load.return_value = "good", lambda r: r.register("g", Thing)
    bad = mock.Mock()
    bad.name, bad.load.side_effect = "bad", ImportError("boom")
    reg: NamedRegistry[Thing] = NamedRegistry()
    with (
        mock.patch("slimplace.registry.entry_points", return_value=[bad, good]),
        caplog.at_level(logging.ERROR),
    ):
        reg.load_plugins("slimplace.things")
    assert reg.names() == ["g"]
    assert "bad" in caplog.text


def test_registries_with_kinds_refuse_an_unknown_kind() -> None:
    from slimplace.placement.registry import Registry

    reg = Registry()
    with pytest.raises(ValueError, match="kind must be one of baseline"):
        reg.register("mine", Thing, kind="clever")
    reg.register("mine", Thing, kind="heuristic")
    assert reg.names("heuristic") == ["mine"]


def test_solve_names_an_option_the_method_does_not_take() -> None:
    from slimplace.benchmarks.tiny import tiny_scenario
    from slimplace.problem.compile import compile_problem
    from slimplace.solve import solve

    problem = compile_problem(tiny_scenario(4))
    with pytest.raises(UnknownOptionError, match="no_such_option"):
        solve(problem, "greedy", no_such_option=3)
    assert solve(problem, "cloud-only", time_limit_s=5.0).plan.method == "cloud-only"


def test_a_missing_solver_binding_is_reported_and_greedy_stays() -> None:
    import builtins

    from typer.testing import CliRunner

    from slimplace.cli import app
    from slimplace.methods import HIGHS_METHODS, default_registry

    real_import = builtins.__import__

    def no_highspy(name: str, *args: object, **kwargs: object) -> object:
        if name == "highspy":
            raise ImportError("No module named 'highspy'", name="highspy")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    with mock.patch("builtins.__import__", no_highspy):
        reg = default_registry()
        out = CliRunner().invoke(app, ["methods"], terminal_width=200)
    assert "greedy" in reg and "cloud-only" in reg
    assert set(reg.unavailable) == set(HIGHS_METHODS) and not set(HIGHS_METHODS) & set(reg.names())
    assert out.exit_code == 0 and "unavailable" in out.output and "highspy" in out.output
