import itertools

import networkx as nx
import numpy as np
import pytest

from slimplace.problem.routes import compute_routes


def _random_graph(seed: int, n: int = 40):
    rng = np.random.default_rng(seed)
    g = nx.connected_watts_strogatz_graph(n, 4, 0.3, seed=seed)
    edges = np.array(g.edges())
    lat = rng.uniform(0.001, 0.05, len(edges))
    energy = rng.uniform(1e-9, 1e-7, len(edges))
    bw = rng.choice([1e8, 1e9, np.inf], len(edges))
    return g, edges[:, 0], edges[:, 1], lat, energy, bw


@pytest.mark.parametrize("seed", range(5))
def test_path_sums_match_networkx(seed: int) -> None:
    g, a, b, lat, energy, bw = _random_graph(seed)
    n = g.number_of_nodes()
    sources = np.arange(0, n, 7)
    r = compute_routes(n, a, b, lat, energy, bw, sources, np.ones(n, dtype=bool))
    for i, (u, v) in enumerate(zip(a, b, strict=True)):
        g[u][v]["lat"], g[u][v]["e"] = lat[i], energy[i]
        g[u][v]["spb"] = 0.0 if np.isinf(bw[i]) else 1.0 / bw[i]
    for s in sources:
        row = r.source_root_row[s]
        _dist, paths = nx.single_source_dijkstra(g, int(s), weight=lambda u, v, d: d["lat"] + 1e-9)
        for t in range(n):
            path = paths[t]
            edges = list(itertools.pairwise(path))
            assert r.latency_s[row, t] == pytest.approx(
                sum(g[u][v]["lat"] for u, v in edges), abs=1e-12
            )
            assert r.energy_j_per_bit[row, t] == pytest.approx(
                sum(g[u][v]["e"] for u, v in edges), rel=1e-9
            )
            assert r.seconds_per_bit[row, t] == pytest.approx(
                sum(g[u][v]["spb"] for u, v in edges), rel=1e-9
            )
            assert r.hops[row, t] == len(edges)


def test_leaves_fold_into_their_neighbour_and_paths_list_links() -> None:
    # chain 0-1-2-3 with a leaf source 4 on node 1
    a, b = np.array([0, 1, 2, 1]), np.array([1, 2, 3, 4])
    lat = np.array([1.0, 2.0, 3.0, 0.5])
    r = compute_routes(
        5,
        a,
        b,
        lat,
        np.ones(4),
        np.full(4, np.inf),
        np.array([4, 0]),
        np.array([True, False, True, True, False]),
    )
    assert r.source_leaf_link[4] == 3
    assert r.roots[r.source_root_row[4]] == 1
    assert r.latency_s[r.source_root_row[4], 3] == pytest.approx(5.0)
    _pair, link, parent = r.path_links(np.array([r.source_root_row[0]]), np.array([3]))
    assert sorted(link.tolist()) == [0, 1, 2]
    assert set(parent.tolist()) == {0, 1, 2}


def test_unreachable_nodes_are_infinite() -> None:
    a, b = np.array([0, 2]), np.array([1, 3])
    r = compute_routes(
        4, a, b, np.ones(2), np.ones(2), np.full(2, np.inf), np.array([0]), np.ones(4, dtype=bool)
    )
    row = r.source_root_row[0]
    assert np.isinf(r.latency_s[row, 2]) and np.isinf(r.latency_s[row, 3])
    assert r.latency_s[row, 1] == 1.0


def test_tables_have_columns_for_core_nodes_only() -> None:
    # star of 3 core nodes (0-1, 0-2) with 4 leaf sources hanging off 1 and 2
    a, b = np.array([0, 0, 1, 1, 2, 2]), np.array([1, 2, 3, 4, 5, 6])
    is_target = np.array([True, True, True, False, False, False, False])
    r = compute_routes(
        7, a, b, np.ones(6), np.ones(6), np.full(6, np.inf), np.array([3, 4, 5, 6]), is_target
    )
    assert r.cols.tolist() == [0, 1, 2]
    assert r.col_of_node.tolist() == [0, 1, 2, -1, -1, -1, -1]
    assert r.latency_s.shape == (2, 3)
    with pytest.raises(ValueError, match="folded"):
        r.col(np.array([3]))
    # from leaf 3 (root 1) to node 2: leaf link + 1-0 + 0-2
    assert r.latency_s[r.source_root_row[3], r.col(np.array([2]))[0]] == pytest.approx(2.0)
    _pair, link, parent = r.path_links(np.array([r.source_root_row[3]]), np.array([2]))
    assert sorted(link.tolist()) == [0, 1]
    assert sorted(parent.tolist()) == [0, 1]
