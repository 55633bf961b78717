"""The PettingZoo parallel environment: the API test, the reward split, bad actions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pettingzoo")
from pettingzoo.test import parallel_api_test

from slimplace.env import make_env
from slimplace.env_multi import SlimplaceParallelEnv, make_parallel_env

ROOT = Path(__file__).resolve().parents[1]
TWO = ROOT / "examples" / "mobility-two-antennas.yaml"
OPTIONS = {"horizon": "4h", "step": "30min", "trace": "diurnal"}


@pytest.fixture(scope="module")
def env() -> SlimplaceParallelEnv:
    return make_parallel_env(TWO, **OPTIONS)


def test_one_agent_per_edge_site_and_the_api_test(env: SlimplaceParallelEnv) -> None:
    assert env.possible_agents == ["box-A", "box-B"]
    parallel_api_test(env, num_cycles=10)


def test_rewards_sum_to_the_gymnasium_reward(env: SlimplaceParallelEnv) -> None:
    """Same actions through both interfaces: the agents' rewards add up to the team's."""
    single = make_env(TWO, **OPTIONS)
    env.reset(seed=4)
    single.reset(seed=4)
    rng = np.random.default_rng(0)
    steps = 0
    while env.agents:
        servers = {a: int(rng.integers(0, 2)) for a in env.agents}
        actions = {
            a: np.concatenate([[servers[a]], np.zeros(env.n_apps, dtype=np.int64)])
            for a in env.agents
        }
        _, rewards, term, trunc, _ = env.step(actions)
        # the Gymnasium action: servers per controlled node, then a level per application
        flat = np.array(
            [servers[env.env.problem.node_ids[n]] for n in single.nodes]
            + [0] * len(single.app_peak),
            dtype=np.int64,
        )
        _, team, *_ = single.step(flat)
        assert sum(rewards.values()) == pytest.approx(team, rel=1e-9, abs=1e-12)
        assert not any(trunc.values())
        steps += 1
    assert steps == 8 and all(term.values())
    with pytest.raises(RuntimeError, match="reset"):
        env.step({})


def test_an_agent_pays_for_its_own_servers(env: SlimplaceParallelEnv) -> None:
    env.reset(seed=0)
    on = {a: np.array([1] + [0] * env.n_apps) for a in env.agents}
    env.step(on)
    _, rewards, *_ = env.step(on)
    power = env.site_plan_power_w()
    # box-A's mini PC draws more than box-B's Jetson: its share of the cost is larger
    assert power[0] > power[1] > 0
    assert rewards["box-A"] < rewards["box-B"]


def test_observations_are_local_features(env: SlimplaceParallelEnv) -> None:
    obs, _ = env.reset(seed=0)
    for agent, o in obs.items():
        assert env.observation_space(agent).contains(o)
        assert o.shape == (env.n_apps + 7,)
    assert all(o[0] == 0 for o in obs.values())  # nothing placed before the first step
    obs, *_ = env.step({a: np.array([1] + [0] * env.n_apps) for a in env.agents})
    # every request is served at an edge site: the local loads add up to the offered rate
    last = env.env.last_observation
    assert last is not None
    offered = float(np.sum(last.rate_per_s)) / env.env.app_peak[0]
    assert sum(float(o[0]) for o in obs.values()) == pytest.approx(offered, rel=1e-6)


def test_bad_actions_are_clear_errors(env: SlimplaceParallelEnv) -> None:
    env.reset(seed=0)
    with pytest.raises(ValueError, match="no action for agent"):
        env.step({"box-A": np.array([1, 0])})
    with pytest.raises(ValueError, match=r"box-A: \[0\] = 5 is outside"):
        env.step({"box-A": np.array([5, 0]), "box-B": np.array([1, 0])})
    with pytest.raises(ValueError, match="integers"):
        env.step({"box-A": np.array([0.5, 0]), "box-B": np.array([1, 0])})


def test_a_scenario_without_edge_sites_is_refused(tmp_path: Path) -> None:
    text = (ROOT / "examples" / "minimal.yaml").read_text().replace("tier: edge", "tier: metro")
    path = tmp_path / "no-edge.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match="no edge site"):
        make_parallel_env(path, **OPTIONS)
