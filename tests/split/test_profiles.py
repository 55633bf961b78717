"""Per-block profiles: the walker agrees with PyTorch block by block, the shipped table
is what the walker gives, and totals match the published counts and the calibration
package's layer walks."""

from __future__ import annotations

import pytest

from slimplace.calibration import architectures as arch
from slimplace.split.layers import walk
from slimplace.split.networks import PROFILED, network
from slimplace.split.profiles import load_profiles, profile_for

torch_check = pytest.importorskip("slimplace.split.torch_check")


@pytest.mark.parametrize(("name", "width", "resolution"), PROFILED)
def test_walk_agrees_with_pytorch(name: str, width: float, resolution: int) -> None:
    spec = network(name, width, resolution)
    ours = walk(spec.blocks, resolution)
    theirs = torch_check.count(spec.blocks, resolution).blocks
    assert len(theirs) >= len(ours) - 1  # only an opaque head is not built
    for a, b in zip(ours, theirs, strict=False):
        assert a.out_shape == b.out_shape, a.name
        assert a.flops == b.flops, a.name
        assert a.params == b.params, a.name


def test_shipped_table_is_the_walk() -> None:
    profiles = load_profiles()
    assert {(n, w) for n, w, _ in PROFILED} == set(profiles)
    for name, width, resolution in PROFILED:
        counts = walk(network(name, width, resolution).blocks, resolution)
        p = profiles[(name, width)]
        assert p.block_names == tuple(c.name for c in counts)
        assert list(p.flops) == [round(c.flops) for c in counts]
        assert list(p.out_elements) == [c.out_elements for c in counts]


@pytest.mark.parametrize(
    ("name", "mmac", "mparams"),
    [
        # published: Howard 2017 Table 8; Sandler 2018 Table 4; Howard 2019 Table 3 (219 M,
        # 5.4 M); torchvision weights metadata (ResNet 1.81/4.09 GMAC; EfficientNet-B0 0.39)
        ("mobilenet_v1", 569, 4.2),
        ("mobilenet_v2", 300, 3.5),
        ("mobilenet_v3_large", 219, 5.48),
        ("resnet18", 1814, 11.69),
        ("resnet50", 4089, 25.56),
        ("efficientnet_b0", 390, 5.29),
    ],
)
def test_totals_match_published(name: str, mmac: float, mparams: float) -> None:
    p = profile_for(name)
    assert p.flops.sum() / 2e6 == pytest.approx(mmac, rel=0.02)
    assert p.params.sum() / 1e6 == pytest.approx(mparams, rel=0.02)


def test_totals_match_calibration_layer_walks() -> None:
    checks = {
        "mobilenet_v1": arch.mobilenet_v1(1.0, 224).macs,
        "mobilenet_v2": arch.mobilenet_v2(1.0, 224).macs,
        "mobilenet_v3_large": arch.mobilenet_v3("large", 1.0, 224).macs,
        "efficientnet_b0": arch.efficientnet(1.0, 1.0, 224).macs,
    }
    for name, macs in checks.items():
        assert profile_for(name).flops.sum() / 2 == pytest.approx(macs, rel=0.03), name


def test_cut_shares_rise_to_one() -> None:
    p = profile_for("resnet50")
    share = p.head_flops_share()
    assert len(share) == len(p.block_names) - 1
    assert (share[1:] >= share[:-1]).all() and share[0] > 0 and share[-1] < 1
    assert p.cut_elements(0.5, 112)[0] == p.out_elements[0] * 0.5 * 0.25
