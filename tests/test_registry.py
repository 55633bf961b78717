import logging
from dataclasses import dataclass
from unittest import mock

import pytest

from slimplace.registry import NamedRegistry, UnknownNameError, accepted_options


@dataclass
class Thing:
    size: int = 1


def test_create_passes_only_accepted_options_and_unknown_names_get_suggestions() -> None:
    reg: NamedRegistry[Thing] = NamedRegistry()
    reg.register("thing", Thing, kind="a", description="a thing")
    reg.register("other", lambda **kw: Thing(len(kw)), kind="b")
    assert reg.create("thing", size=3, time_limit_s=5.0) == Thing(3)
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
