"""Slimmable layers and networks: width switching, extraction, BN calibration, training."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from slimplace.profiling.data import digits, from_arrays, stratified_split  # noqa: E402
from slimplace.profiling.measure import torch_threads  # noqa: E402
from slimplace.profiling.nets import SlimCNN, SlimMobileNet, build_network  # noqa: E402
from slimplace.profiling.slimmable import (  # noqa: E402
    SlimmableConv2d,
    SlimmableLinear,
    SwitchableBatchNorm2d,
    calibrate_width,
    channels,
    extract,
    is_slimmable,
    set_width,
    widths_of,
)
from slimplace.profiling.train import TrainConfig, accuracy, init_network, train  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Tiny networks run fastest on one thread; more oversubscribe a shared machine."""
    with torch_threads(1):
        yield


def _randomise_bn(model: nn.Module, seed: int = 0) -> None:
    """Give every batch norm non-trivial statistics so equivalence tests mean something."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)


def test_channels_round_half_up_and_keep_one() -> None:
    assert channels(16, 0.25) == 4
    assert channels(10, 0.25) == 3  # 2.5 rounds up
    assert channels(3, 0.1) == 1
    assert channels(64, 1.0) == 64


@pytest.mark.parametrize("arch", ["cnn", "mobilenet"])
def test_extract_matches_the_slimmable_network_at_every_width(arch: str) -> None:
    model = init_network(lambda: build_network(arch, 1, 10), seed=1).eval()
    _randomise_bn(model)
    x = torch.randn(4, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    for w in widths_of(model):
        set_width(model, w)
        with torch.no_grad():
            expected = model(x)
            plain = extract(model, w)
            got = plain(x)
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
        assert not is_slimmable(plain)
        assert not any(
            isinstance(m, (SlimmableConv2d, SlimmableLinear, SwitchableBatchNorm2d))
            for m in plain.modules()
        )


def test_width_switch_moves_no_weight_and_shrinks_compute() -> None:
    model = SlimCNN(1, 10).eval()
    pointers = [p.data_ptr() for p in model.parameters()]
    sizes = []
    for w in (1.0, 0.25, 0.75):
        set_width(model, w)
        sizes.append(sum(p.numel() for p in extract(model, w).parameters()))
    assert [p.data_ptr() for p in model.parameters()] == pointers
    assert sizes[1] < sizes[2] < sizes[0]


def test_untrained_width_needs_calibration_then_serves() -> None:
    data = digits(seed=0)
    model = SlimCNN(1, 10).eval()
    with pytest.raises(KeyError):
        set_width(model, 0.4)
    with pytest.raises(ValueError):
        set_width(model, 1.5)
    calibrate_width(model, 0.4, data.x_train[:200])
    assert 0.4 in widths_of(model)
    assert not model.training
    with torch.no_grad():
        out = model(data.x_test[:3])
    assert out.shape == (3, 10)
    bn = next(m for m in model.modules() if isinstance(m, SwitchableBatchNorm2d))
    assert bn.current().num_features == channels(bn.max_features, 0.4)


def test_mobilenet_has_residual_blocks_and_depthwise_convs() -> None:
    model = SlimMobileNet(1, 10)
    depthwise = [m for m in model.modules() if isinstance(m, SlimmableConv2d) and m.depthwise]
    assert depthwise
    set_width(model.eval(), 0.5)
    cin, cout, groups = depthwise[0].active()
    assert cin == cout == groups


def test_stratified_split_keeps_class_shares_and_is_seeded() -> None:
    labels = torch.arange(10).repeat(20).numpy()
    train_a, test_a = stratified_split(labels, 0.2, seed=3)
    train_b, test_b = stratified_split(labels, 0.2, seed=3)
    assert (test_a == test_b).all() and (train_a == train_b).all()
    assert len(test_a) == 40 and len(set(test_a) | set(train_a)) == 200
    assert all((labels[test_a] == c).sum() == 4 for c in range(10))


def test_from_arrays_rejects_bad_shapes() -> None:
    from slimplace.errors import InputError

    with pytest.raises(InputError, match="labels"):
        from_arrays(torch.zeros(5, 8, 8).numpy(), [0, 1, 2])


def test_sandwich_training_is_seeded_and_learns_every_width() -> None:
    data = digits(seed=0)
    cfg = TrainConfig(epochs=2, seed=5)
    widths = (0.25, 0.5, 1.0)

    def run() -> nn.Module:
        model = init_network(lambda: SlimCNN(1, 10, widths=widths), cfg.seed)
        train(model, data, cfg, widths=widths)
        return model

    first, second = run(), run()
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        torch.testing.assert_close(a, b)
    for w in widths:
        assert accuracy(set_width(first, w), data.x_test, data.y_test) > 0.5
