import numpy as np

from slimplace.placement.assign import accept_in_order, cumsum_in_groups


def test_cumsum_in_groups_restarts_at_every_group() -> None:
    rng = np.random.default_rng(0)
    group = np.sort(rng.integers(0, 5, 40))
    values = rng.random(40)
    expected = np.concatenate([np.cumsum(values[group == g]) for g in np.unique(group)])
    np.testing.assert_allclose(cumsum_in_groups(group, values), expected, rtol=1e-12)
    assert cumsum_in_groups(group[:0], values[:0]).shape == (0,)


def test_accept_in_order_takes_best_priority_first_until_full() -> None:
    node = np.array([0, 0, 0, 1, 1])
    load = np.array([0.5, 0.4, 0.3, 1.0, 0.1])
    priority = np.array([2.0, 0.0, 1.0, 0.0, 1.0])
    residual = np.array([0.75, 1.0])
    # node 0 takes 0.4 (priority 0) then 0.3 (0.7 <= 0.75), not 0.5; node 1 takes 1.0 only
    assert accept_in_order(node, load, priority, residual).tolist() == [
        False,
        True,
        True,
        True,
        False,
    ]
