"""Random agents, one per edge site, through the PettingZoo parallel interface.

    python examples/pettingzoo_agents.py [SCENARIO] [--horizon 24h] [--step 5min] [--trace diurnal]

Trains nothing: it plays one episode in which every edge site draws its action (servers
on, a width level per application) from its action space, and one in which every site
keeps all its servers on at the plan's variants, and prints each agent's return and the
team's (the sum: minus plan-dependent kWh minus the SLO penalty, as the Gymnasium
environment's return).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from slimplace.env_multi import SlimplaceParallelEnv, make_parallel_env

EXAMPLE = Path(__file__).resolve().parent / "mobility-two-antennas.yaml"


def play(env: SlimplaceParallelEnv, act: Callable[[str], Any], seed: int) -> dict[str, float]:
    """Returns of one episode in which agent ``a`` plays ``act(a)``."""
    env.reset(seed=seed)
    totals = dict.fromkeys(env.possible_agents, 0.0)
    while env.agents:
        _, rewards, *_ = env.step({a: act(a) for a in env.agents})
        for agent, reward in rewards.items():
            totals[agent] += reward
    return totals


def main() -> None:
    """Command line (module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", nargs="?", type=Path, default=EXAMPLE)
    ap.add_argument("--horizon", default="24h")
    ap.add_argument("--step", default="5min")
    ap.add_argument("--trace", default="diurnal")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    env = make_parallel_env(args.scenario, horizon=args.horizon, step=args.step, trace=args.trace)
    for agent in env.possible_agents:
        env.action_space(agent).seed(args.seed)
    runs = {
        "random": lambda a: env.action_space(a).sample(),
        "all on": lambda a: np.concatenate(
            [[env.action_space(a).nvec[0] - 1], np.zeros(env.n_apps, dtype=np.int64)]
        ),
    }
    for name, act in runs.items():
        totals = play(env, act, args.seed)
        per_agent = ", ".join(f"{a} {r:.4f}" for a, r in totals.items())
        print(f"{name:>7}: team return {sum(totals.values()):.4f} ({per_agent})")


if __name__ == "__main__":
    main()
