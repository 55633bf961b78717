"""A random agent and the predictive policy through the same Gymnasium interface.

    python examples/gym_agents.py [SCENARIO] [--horizon 24h] [--step 5min] [--trace diurnal]

Trains nothing: it plays one episode with actions drawn from the action space, and one in
which the ``predictive`` policy decides (``env.step`` takes a slimplace Decision as well as
an action), and prints both returns (minus plan-dependent kWh minus the SLO penalty).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from slimplace.env import SlimplaceEnv, make_env
from slimplace.sim import default_policies

EXAMPLE = Path(__file__).resolve().parent / "minimal.yaml"


def random_return(env: SlimplaceEnv, seed: int) -> float:
    """Return of one episode with uniformly random actions."""
    env.reset(seed=seed)
    env.action_space.seed(seed)
    total, done = 0.0, False
    while not done:
        _, reward, done, _, _ = env.step(env.action_space.sample())
        total += reward
    return total


def policy_return(env: SlimplaceEnv, name: str, seed: int) -> float:
    """Return of one episode in which the registered policy ``name`` decides."""
    env.reset(seed=seed)
    policy = default_policies().create(name)
    memory = policy.start(env.context, seed=seed)
    total, done = 0.0, False
    while not done:
        assert env.last_observation is not None
        _, reward, done, _, _ = env.step(policy.decide(env.last_observation, memory))
        total += reward
    return total


def main() -> None:
    """Command line (module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", nargs="?", type=Path, default=EXAMPLE)
    ap.add_argument("--horizon", default="24h")
    ap.add_argument("--step", default="5min")
    ap.add_argument("--trace", default="diurnal")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    env = make_env(args.scenario, horizon=args.horizon, step=args.step, trace=args.trace)
    print(f"random agent: return {random_return(env, args.seed):.4f}")
    print(f"predictive:   return {policy_return(env, 'predictive', args.seed):.4f}")


if __name__ == "__main__":
    main()
