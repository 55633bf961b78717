"""The Gymnasium environment: the checker, both kinds of step, bad actions."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")
from gymnasium.utils.env_checker import check_env  # noqa: E402

from slimplace.env import make_env  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "examples" / "minimal.yaml"


@pytest.fixture(scope="module")
def env():  # type: ignore[no-untyped-def]
    return make_env(MINIMAL, horizon="6h", step="30min", trace="diurnal")


def test_passes_the_gymnasium_checker(env) -> None:  # type: ignore[no-untyped-def]
    check_env(env, skip_render_check=True)


def test_episode_length_reward_and_record(env) -> None:  # type: ignore[no-untyped-def]
    obs, _ = env.reset(seed=2)
    assert env.observation_space.contains(obs)
    steps, done = 0, False
    while not done:
        obs, reward, done, truncated, info = env.step(env.action_space.sample())
        steps += 1
        rec = info["record"]
        plan_kwh = (rec["energy_j"] - rec["fixed_w"] * env.step_s) / 3.6e6
        late = 1 - rec["slo_ok"] / rec["requests"]
        assert reward == pytest.approx(-plan_kwh - late, rel=1e-9, abs=1e-12)
        assert not truncated
    assert steps == env.n_steps == 12
    with pytest.raises(RuntimeError, match="reset"):
        env.step(env.action_space.sample())


def test_all_servers_off_is_punished_by_the_slo_term(env) -> None:  # type: ignore[no-untyped-def]
    env.reset(seed=0)
    full = env.action_space.nvec - 1
    env.step(full)
    _, r_on, *_ = env.step(full)
    off = full.copy()
    off[: len(env.nodes)] = 0
    rewards = [env.step(off)[1] for _ in range(3)]
    assert min(rewards) < r_on - 0.5  # most requests dropped: the penalty dominates


def test_actions_outside_the_space_are_clear_errors(env) -> None:  # type: ignore[no-untyped-def]
    env.reset(seed=0)
    bad = env.action_space.nvec.copy()
    with pytest.raises(ValueError, match=r"action\[0\] = .* is outside"):
        env.step(bad)
    with pytest.raises(ValueError, match="integers"):
        env.step(np.zeros(len(bad) + 1, dtype=np.int64))


def test_example_runs_random_agent_and_predictive_through_one_interface(env) -> None:  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gym_agents", ROOT / "examples" / "gym_agents.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    r_random = module.random_return(env, 0)
    r_pred = module.policy_return(env, "predictive", 0)
    assert np.isfinite(r_random) and np.isfinite(r_pred)
    assert r_pred > r_random  # random actions switch servers off and miss the SLO
