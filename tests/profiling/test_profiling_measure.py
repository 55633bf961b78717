"""Measurements of a variant: FLOPs, parameters, bytes, peak activations, latency, load time."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from slimplace.profiling.measure import (  # noqa: E402
    batches,
    count_flops,
    count_params,
    load_time_s,
    measure_latencies,
    measure_latency,
    peak_activation_bytes,
    single_thread,
    torch_threads,
    weight_bytes,
)
from slimplace.profiling.techniques.int8 import quantize_static  # noqa: E402


def test_flops_count_two_per_multiply_accumulate() -> None:
    linear = nn.Linear(10, 5)
    assert count_flops(linear, torch.randn(4, 10)) == 2 * 10 * 5
    conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
    assert count_flops(conv, torch.randn(2, 3, 6, 6)) == 2 * 6 * 6 * 8 * 3 * 9


def test_params_nonzero_and_bytes_of_a_float_network() -> None:
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4, 2))
    with torch.no_grad():
        net[3].weight.zero_()
    params, nonzero = count_params(net)
    assert params == 36 + 4 + 4 + 4 + 8 + 2  # conv w+b, bn w+b, linear w+b
    assert nonzero == params - 8 - 4  # the zeroed linear weight and the BN shifts (init 0)
    # parameters plus BN running mean and variance, 4 bytes each; the counter is left out
    assert weight_bytes(net) == 4 * (params + 8)


def test_int8_weights_count_one_byte() -> None:
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)).eval()
    q = quantize_static(net, torch.randn(64, 1, 8, 8))
    float_bytes = weight_bytes(net)
    int8_bytes = weight_bytes(q)
    # int8 weights, float biases, and a few bytes of input quantization parameters
    assert 0 <= int8_bytes - (64 * 32 + 32 * 10 + 4 * (32 + 10)) <= 16
    assert int8_bytes < float_bytes / 3
    assert count_params(q)[0] == count_params(net)[0]


def test_peak_activation_counts_live_intermediates_only() -> None:
    net = nn.Sequential(nn.Linear(100, 1000), nn.ReLU(), nn.Linear(1000, 10)).eval()
    peak = peak_activation_bytes(net, torch.randn(1, 100))
    # the linear output and the ReLU output (4 kB each) are alive together at most
    assert 8000 <= peak <= 8000 + 1000
    bigger = peak_activation_bytes(net, torch.randn(8, 100))
    assert bigger >= 8 * 8000


def test_latency_statistics_and_thread_restored() -> None:
    before = torch.get_num_threads()
    net = nn.Linear(32, 32).eval()
    stats = measure_latency(
        net, batches(torch.randn(64, 32), 4, 3), min_repeats=20, min_time_s=0.01
    )
    assert stats.batch_size == 4 and stats.repeats >= 20
    assert 0 < stats.p10_s <= stats.median_s <= stats.p90_s
    assert stats.per_item_s == pytest.approx(stats.median_s / 4)
    assert torch.get_num_threads() == before
    with single_thread():
        assert torch.get_num_threads() == 1
    with torch_threads(2):
        assert torch.get_num_threads() == 2
    assert torch.get_num_threads() == before


def test_interleaved_latencies_time_every_module() -> None:
    small, big = nn.Linear(8, 8).eval(), nn.Linear(512, 512).eval()
    inputs_small = batches(torch.randn(64, 8), 1, 4)
    stats = measure_latencies(
        [small, lambda x: big(x.repeat(1, 64))],
        inputs_small,
        rounds=3,
        min_repeats=12,
        min_time_s=0.01,
    )
    assert len(stats) == 2
    assert all(s.repeats >= 12 for s in stats)
    assert stats[0].median_s < stats[1].median_s


def test_batches_and_load_time() -> None:
    images = torch.randn(10, 3)
    got = batches(images, 4, 5)
    assert [b.shape[0] for b in got] == [4, 4]
    assert load_time_s(nn.Linear(8, 8), repeats=2) > 0
