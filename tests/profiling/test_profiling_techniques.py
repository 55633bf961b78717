"""Each compression technique on a slimmable CNN trained for a few seconds on digits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torch_pruning")

from torch import nn  # noqa: E402

from slimplace.profiling.data import ImageData, digits  # noqa: E402
from slimplace.profiling.measure import (  # noqa: E402
    count_flops,
    count_params,
    torch_threads,
)
from slimplace.profiling.nets import SlimCNN  # noqa: E402
from slimplace.profiling.slimmable import extract  # noqa: E402
from slimplace.profiling.techniques import (  # noqa: E402
    TECHNIQUE_NAMES,
    EarlyExitTechnique,
    Int8Technique,
    PruneTechnique,
    SparseTechnique,
    WidthTechnique,
    Workbench,
    default_techniques,
)
from slimplace.profiling.techniques.base import Candidate  # noqa: E402
from slimplace.profiling.techniques.early_exit import EarlyExitNet  # noqa: E402
from slimplace.profiling.train import TrainConfig, accuracy, init_network, train  # noqa: E402

WIDTHS = (0.25, 0.5, 1.0)


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Tiny networks run fastest on one thread; more oversubscribe a shared machine."""
    with torch_threads(1):
        yield


@pytest.fixture(scope="module")
def data() -> ImageData:
    return digits(seed=0)


@pytest.fixture(scope="module")
def trained(data: ImageData) -> nn.Module:
    cfg = TrainConfig(epochs=3, seed=0)
    model = init_network(lambda: SlimCNN(1, 10, widths=WIDTHS), cfg.seed)
    with torch_threads(1):  # module fixtures run before the per-test thread fixture
        train(model, data, cfg, widths=WIDTHS)
    return model


def _bench(data: ImageData, slim: nn.Module) -> Workbench:
    base = extract(slim, 1.0)
    first = Candidate("width-1", "width", "width", base, width=1.0, shared=True)
    return Workbench(
        data, base, slim, TrainConfig(epochs=1, seed=0), base_name="width-1", built=[first]
    )


def test_default_techniques_run_in_order() -> None:
    assert tuple(default_techniques()) == TECHNIQUE_NAMES


def test_width_adds_calibrated_widths_with_growing_flops(
    data: ImageData, trained: nn.Module
) -> None:
    bench = _bench(data, trained)
    made = WidthTechnique(calibrated=(0.375,)).build(bench)
    assert [c.name for c in made] == ["width-0.25", "width-0.375", "width-0.5"]
    flops = [count_flops(c.module, data.example(1)) for c in [*made, bench.built[0]]]
    assert flops == sorted(flops) and len(set(flops)) == 4
    assert all(c.shared for c in made)
    assert accuracy(made[1].module, data.x_test, data.y_test) > 0.5


def test_structured_pruning_removes_channels(data: ImageData, trained: nn.Module) -> None:
    bench = _bench(data, trained)
    (pruned,) = PruneTechnique(ratios=(0.5,), epochs=0).build(bench)
    full_params, _ = count_params(bench.base)
    params, nonzero = count_params(pruned.module)
    assert params < 0.5 * full_params and nonzero == params
    assert count_flops(pruned.module, data.example(1)) < count_flops(bench.base, data.example(1))
    assert pruned.module(data.example(4)).shape == (4, 10)


def test_unstructured_pruning_zeroes_weights_keeps_shape(
    data: ImageData, trained: nn.Module
) -> None:
    bench = _bench(data, trained)
    (sparse,) = SparseTechnique(sparsities=(0.8,), epochs=0).build(bench)
    weights = [m.weight for m in sparse.module.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    zero = sum(int((w == 0).sum()) for w in weights) / sum(w.numel() for w in weights)
    assert zero == pytest.approx(0.8, abs=0.01)
    assert count_params(sparse.module)[0] == count_params(bench.base)[0]
    assert not any(hasattr(m, "weight_mask") for m in sparse.module.modules())


def test_int8_keeps_accuracy_and_combines_with_pruning(data: ImageData, trained: nn.Module) -> None:
    bench = _bench(data, trained)
    bench.built += PruneTechnique(ratios=(0.5,), epochs=0).build(bench)
    made = Int8Technique(targets=("width-1", "prune-0.5", "absent")).build(bench)
    assert [c.name for c in made] == ["int8-width-1", "int8-prune-0.5"]
    q = made[0]
    assert q.precision == "int8" and q.flops_from == "width-1"
    float_acc = accuracy(bench.base, data.x_test, data.y_test)
    assert accuracy(q.module, data.x_test, data.y_test) > float_acc - 0.03


def test_early_exit_threshold_trades_compute_for_accuracy(
    data: ImageData, trained: nn.Module
) -> None:
    bench = _bench(data, trained)
    made = EarlyExitTechnique(thresholds=(0.0, 0.9, 1.01), epochs=2).build(bench)
    assert [c.name for c in made] == ["exit-0", "exit-0.9", "exit-1.01"]
    nets = [c.module for c in made]
    assert all(isinstance(n, EarlyExitNet) for n in nets)
    x = data.x_test
    fractions = [n.exit_fractions(x) for n in nets]
    assert fractions[0][0] == 1.0  # threshold 0: everything leaves at the first head
    assert fractions[2][-1] == 1.0  # above 1: nothing leaves early
    flops = [count_flops(n, x) for n in nets]
    assert flops[0] < flops[1] < flops[2]
    with torch.no_grad():
        torch.testing.assert_close(nets[2](x[:16]), bench.base(x[:16]))
    # the early-exit network serves mixed batches: same answers one by one and batched
    with torch.no_grad():
        batched = nets[1](x[:16]).argmax(1)
        single = torch.cat([nets[1](x[i : i + 1]) for i in range(16)]).argmax(1)
    assert torch.equal(batched, single)
