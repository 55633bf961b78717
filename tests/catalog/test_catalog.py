"""The built-in catalog: loads fast, holds sane numbers, matches published figures."""

from __future__ import annotations

import dataclasses
import itertools
import time

import pytest
from typer.testing import CliRunner

from slimplace.catalog import Catalog, load_catalog
from slimplace.catalog._rows import read_rows
from slimplace.catalog.families import parse_families, parse_measured
from slimplace.catalog.hardware import parse_hardware, parse_power_curves
from slimplace.catalog.links import parse_link_kinds
from slimplace.cli import app
from slimplace.errors import InputError
from slimplace.scenario.model import TIERS


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def test_loads_fast_and_is_immutable(cat: Catalog) -> None:
    load_catalog.cache_clear()
    start = time.perf_counter()
    fresh = load_catalog()
    assert time.perf_counter() - start < 0.3
    assert fresh == cat
    with pytest.raises(TypeError):
        fresh.hardware["x"] = fresh.hardware["raspberry-pi-4"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        fresh.regions = {}  # type: ignore[misc]


def test_hardware_covers_every_tier_with_positive_numbers(cat: Catalog) -> None:
    assert len(cat.hardware) >= 11
    assert {h.tier for h in cat.hardware.values()} == set(TIERS)
    for name, h in cat.hardware.items():
        assert h.name == name
        assert h.throughput_flops > 0 and h.memory_bytes > 0
        assert 0 < h.idle_power_w <= h.peak_power_w
        assert h.wake_time_s >= 0 and h.wake_energy_j >= 0 and h.sleep_power_w >= 0
        assert h.source


def test_named_profiles_and_device_classes(cat: Catalog) -> None:
    expected = {
        "raspberry-pi-4": "device",
        "raspberry-pi-5": "device",
        "phone-pixel1": "device",
        "jetson-nano": "edge",
        "jetson-orin-nano": "edge",
        "edge-mini-pc": "edge",
        "jetson-agx-orin": "edge",
        "t4-server": "metro",
        "xeon-server": "cloud",
        "ampere-altra-server": "cloud",
        "a100-server": "cloud",
        "h100-server": "cloud",
    }
    assert {n: cat.hardware[n].tier for n in expected} == expected
    assert cat.hardware["phone-pixel1"].device_class == "pixel1"
    assert cat.hardware["xeon-server"].device_class == "xeon"
    # effective speeds are ordered as the hardware is
    speed = {n: h.throughput_flops for n, h in cat.hardware.items()}
    assert speed["phone-pixel1"] < speed["jetson-orin-nano"] < speed["a100-server"]
    assert speed["a100-server"] < speed["h100-server"]


def test_phone_throughput_reproduces_published_latency(cat: Catalog) -> None:
    # MobileNetV2 1.0_224: 600 MFLOP in 73.8 ms on a Pixel 1 (~8.1 GFLOP/s)
    phone = cat.hardware["phone-pixel1"]
    v = cat.families["mobilenet-v2"].variant("mobilenet_v2_1.0_224")
    assert v.flops / phone.throughput_flops == pytest.approx(0.0738, rel=0.05)


def test_power_curve_is_a_measured_load_profile(cat: Catalog) -> None:
    h = cat.hardware["xeon-server"]
    assert h.power_curve is not None
    u, p = h.power_curve.utilisation, h.power_curve.power_w
    assert u[0] == 0.0 and u[-1] == 1.0 and len(u) == len(p) >= 5
    assert all(b > a for a, b in itertools.pairwise(u))
    assert all(b >= a for a, b in itertools.pairwise(p))
    assert (p[0], p[-1]) == (h.idle_power_w, h.peak_power_w)


def test_gpu_server_peak_includes_host_share(cat: Catalog) -> None:
    # DGX A100 6.5 kW and DGX H100 10.2 kW maximum, 8 GPUs each
    assert cat.hardware["a100-server"].peak_power_w == pytest.approx(6500 / 8)
    assert cat.hardware["h100-server"].peak_power_w == pytest.approx(10200 / 8)


def test_link_kinds(cat: Catalog) -> None:
    kinds = {"5g", "4g", "wifi", "fibre-access", "metro", "core", "ethernet", "wan"}
    assert kinds <= set(cat.link_kinds)
    for k in cat.link_kinds.values():
        assert k.bandwidth_bps > 0 and k.latency_s >= 0 and k.energy_j_per_bit >= 0
        assert k.source
    # Finnish mobile 0.12 kWh/GB x radio share 6/7 -> J/bit; 5G ten times better
    assert cat.link_kinds["4g"].energy_j_per_bit == pytest.approx(0.12 * 6 / 7 * 3.6e6 / 8e9)
    assert cat.link_kinds["5g"].energy_j_per_bit < cat.link_kinds["4g"].energy_j_per_bit
    assert cat.link_kinds["wifi"].energy_j_per_bit == pytest.approx(3e-7)


def test_every_variant_is_sane(cat: Catalog) -> None:
    for fname, fam in cat.families.items():
        assert fam.name == fname and fname == fname.lower() and " " not in fname
        assert fam.variants and fam.source and fam.load_time_s > 0
        names = [v.name for v in fam.variants]
        assert len(names) == len(set(names)), fname
        for v in fam.variants:
            assert 0 < v.accuracy <= 1, (fname, v.name)
            assert v.flops > 0 and v.params > 0 and v.memory_bytes > 0
            assert v.precision in ("fp32", "int8")
            assert v.source
            for m in v.measured:
                assert m.latency_s > 0 and m.batch_size >= 1 and m.device_class and m.source


def test_slimmable_families_share_weights_with_widths(cat: Catalog) -> None:
    slimmable = [n for n in cat.families if n.startswith(("s-", "us-"))]
    assert set(slimmable) >= {
        "s-mobilenet-v1",
        "s-mobilenet-v2",
        "s-shufflenet",
        "s-resnet-50",
        "us-mobilenet-v1",
        "us-mobilenet-v2",
    }
    for name in slimmable:
        fam = cat.families[name]
        assert fam.weight_sharing
        assert all(v.kind == "width" and v.width is not None for v in fam.variants)
        # one set of weights: every variant holds the full network
        assert len({v.memory_bytes for v in fam.variants}) == 1
    for name in ("ofa-mobilenet-v3", "ofa-resnet50d"):
        assert cat.families[name].weight_sharing
        assert all(v.kind == "ofa" for v in cat.families[name].variants)
    assert not cat.families["mobilenet-v2"].weight_sharing


def test_spot_checks_against_published_numbers(cat: Catalog) -> None:
    v = cat.families["mobilenet-v2"].variant("mobilenet_v2_1.0_224")
    assert (v.accuracy, v.flops, v.params) == (0.718, 600e6, 3.47e6)
    assert v.memory_bytes == pytest.approx(4 * 3.47e6)
    assert v.measured[0].device_class == "pixel1" and v.measured[0].latency_s == 0.0738
    s = cat.families["s-mobilenet-v1"].variant("0.25x")
    assert (s.accuracy, s.width, s.flops) == (0.531, 0.25, 82e6)
    q = cat.families["mobilenet-v1"].variant("mobilenet_v1_1.0_224_quant")
    assert (q.precision, q.kind, q.accuracy) == ("int8", "quantized", 0.697)
    assert q.memory_bytes == pytest.approx(4.24e6)
    r50 = cat.families["resnet"].variant("resnet50")
    assert r50.flops == pytest.approx(2 * 4.089e9) and r50.accuracy == pytest.approx(0.7613)
    r50q = cat.families["resnet"].variant("resnet50-int8")
    assert r50q.precision == "int8" and r50q.memory_bytes < r50.memory_bytes / 3
    ofa = cat.families["ofa-mobilenet-v3"].variant("ofa-v100-11")
    assert ofa.measured[0].batch_size == 64 and ofa.measured[0].device_class == "v100"
    assert ofa.measured[0].latency_s == pytest.approx(0.011)
    assert len(cat.families["efficientnet"].variants) >= 8


def test_regions(cat: Catalog) -> None:
    fra = cat.regions["FRA"]
    assert 20 < fra.carbon_g_per_kwh < 150 and fra.source
    assert cat.regions["WORLD"].carbon_g_per_kwh == 475
    assert "gcp:europe-west1" in cat.regions and "aws:us-east-1" in cat.regions
    assert len(cat.regions) > 250
    assert all(r.carbon_g_per_kwh >= 0 and r.source for r in cat.regions.values())


@pytest.mark.parametrize(
    "filename",
    [
        "hardware.csv",
        "power_curves.csv",
        "link_kinds.csv",
        "families.csv",
        "variants.csv",
        "measured_latency.csv",
        "regions.csv",
    ],
)
def test_every_row_has_a_source(filename: str) -> None:
    rows = read_rows(filename)
    assert rows
    assert all(row["source"].strip() for row in rows)


def test_bad_hardware_rows_are_all_reported() -> None:
    row = dict(read_rows("hardware.csv")[0])
    bad = [
        {**row, "tier": "fog"},
        {**row, "name": "b", "peak_power_w": "0.5"},
        {**row, "name": "c", "throughput_flops": "fast"},
    ]
    with pytest.raises(InputError) as err:
        parse_hardware(bad, {})
    paths = {p.path for p in err.value.problems}
    assert paths == {"hardware[0].tier", "hardware[1].peak_power_w", "hardware[2].throughput_flops"}


def test_bad_curve_and_links_are_rejected() -> None:
    with pytest.raises(InputError, match="must not fall"):
        parse_power_curves(
            [
                {"curve": "c", "utilisation": "0", "power_w": "10", "source": "s"},
                {"curve": "c", "utilisation": "1", "power_w": "5", "source": "s"},
            ]
        )
    link = dict(read_rows("link_kinds.csv")[0])
    with pytest.raises(InputError, match=r"link_kinds\[1\]\.name"):
        parse_link_kinds([link, link])


def test_bad_variant_accuracy_is_rejected() -> None:
    rows = [dict(r) for r in read_rows("variants.csv")]
    rows[0]["accuracy"] = "71.8"  # a percentage, not a fraction
    with pytest.raises(InputError, match=r"variants\[0\]\.accuracy"):
        parse_families(read_rows("families.csv"), rows, parse_measured([]))


@pytest.mark.parametrize("args", [[], ["devices"], ["links"], ["models"], ["carbon"]])
def test_cli_sections(args: list[str]) -> None:
    result = CliRunner().invoke(app, ["catalog", *args])
    assert result.exit_code == 0, result.output


def test_cli_carbon_search() -> None:
    result = CliRunner().invoke(app, ["catalog", "carbon", "--search", "france"])
    assert result.exit_code == 0
    assert "FRA" in result.output and "DEU" not in result.output


def test_cli_rejects_unknown_section() -> None:
    assert CliRunner().invoke(app, ["catalog", "gpus"]).exit_code != 0
