"""Build slimplace's built-in catalog CSVs from /work/shared/data (run once by hand).

Writes into src/slimplace/data/catalog/. Every number either comes from a row of the
shared reference data (cited in the row's source) or is an assumption said so in notes.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from slimplace.calibration import architectures

SHARED = Path("/work/shared/data")
ROOT = Path(__file__).resolve().parents[1]
OUT = Path(os.environ.get("SLIMPLACE_CATALOG_OUT", ROOT / "src/slimplace/data/catalog"))
OUT.mkdir(parents=True, exist_ok=True)
GIB = 2**30

TFSLIM_V2 = "tensorflow/models research/slim/nets/mobilenet/README.md @0ba83cf0211401a8505505276c59418f15338d31 (Apache-2.0)"
TFSLIM_V1 = "tensorflow/models research/slim/nets/mobilenet_v1.md @02c04f49a188ba9a515100a3375a6359f3fffef1 (Apache-2.0)"
SLIM = "JiahuiYu/slimmable_networks @5dc14d0357ccfc596d706281acdc8a5b0b66c6d6 README.md model zoo"
OFA = "mit-han-lab/once-for-all @f03b2673db313b9167e2a1c2b7a5cad540cc1313 README.md 'OFA Specialized Networks' (Cai et al., ICLR 2020, arXiv:1908.09791)"
TV = "torchvision 0.29.1 weights metadata ({file}) (BSD-3-Clause)"
GEER = "geerlingguy/sbc-reviews web/data/results.yml @968b675e2f81da7ea2d32d81e4b8a904b42b13f3 (MIT), wall power measured by Jeff Geerling"
CODECARBON = "mlco2/codecarbon @b05965e43b690cdc53787c7577adbe6e2caf4ed9"
MLCO2 = "mlco2/impact @d0d3ee5a71ea222ac344a94900642ed2ce649af4 data/impact.csv (MIT)"


def read(path: str) -> list[dict[str, str]]:
    with (SHARED / path).open(newline="") as f:
        return list(csv.DictReader(f))


def write(name: str, fields: list[str], rows: list[dict[str, object]]) -> None:
    with (OUT / name).open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: fmt(r.get(k, "")) for k in fields})


def fmt(v: object) -> object:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.10g}"
    return "" if v is None else v


def ls_throughput(flops: list[float], lat_s: list[float]) -> float:
    """Least-squares fit of latency = flops / throughput through the origin."""
    return sum(f * f for f in flops) / sum(f * t for f, t in zip(flops, lat_s, strict=True))


# ---------------------------------------------------------------- hardware
tf = read("models/mobilenet_v1_v2_v3_tfslim.csv")
mnv2 = [r for r in tf if r["model"] == "MobileNetV2"]
pixel1_flops = ls_throughput(
    [2e6 * float(r["macs_M"]) for r in mnv2], [float(r["latency_pixel1_ms"]) / 1e3 for r in mnv2]
)
ofa_rows = read("models/ofa_specialized_subnets.csv")
xeon = [r for r in ofa_rows if r["latency_device"].startswith("Intel")]
xeon_flops = ls_throughput(
    [2e6 * float(r["macs_M"]) for r in xeon], [float(r["latency_ms"]) / 1e3 for r in xeon]
)
# Raspberry Pi 4 anchor: MobileNetV1 1.0_224 (2 x 569 MMAC) at 87 ms, TFLite on the CPU.
RPI4_MNV1_S = 0.087
rpi4_flops = 2 * 569e6 / RPI4_MNV1_S
RPI4_HPL = 11.774e9
cpu_ratio = rpi4_flops / RPI4_HPL  # effective CNN FLOP/s per HPL FLOP/s, calibrated on the Pi 4
XEON_HPL = 0.85 * 2 * 6 * 2.4e9 * 16  # estimated HPL of 2x E5-2620 v3
GPU_UTIL = 0.30  # assumed fraction of dense FP16 tensor peak reached by CNN inference

# codecarbon measured RAPL package power vs load, Xeon E5-2620 v3 (2 sockets, 24 threads)
cc_file = (
    "devices/codecarbon_cpu_load_profiles/E5-2620__compare_cpu_load_and_RAPL-all_cores-"
    "Intel_R__Xeon_R__CPU_E5-2620_v3___2.40GHz-2025-01-14.csv"
)
cc = read(cc_file)
PLATFORM_W = 60.0  # assumed rest-of-platform wall power (memory, disks, fans, PSU loss)
curve: list[tuple[float, float]] = []
running = 0.0
for i, r in enumerate(cc):
    u = min(1.0, float(r["cpu_load"]) / 100.0)
    if i == 0:
        u = 0.0
    if i == len(cc) - 1:
        u = 1.0
    running = max(running, float(r["rapl_power"]))
    curve.append((u, PLATFORM_W + running))
curve_src = (
    f"{CODECARBON} codecarbon/data/hardware/cpu_load_profiling/E5-2620/ (all_cores; MIT): "
    f"measured RAPL package power + {PLATFORM_W:.0f} W assumed platform power; running max "
    "taken so the curve is non-decreasing; first/last load points set to 0 and 1"
)
write(
    "power_curves.csv",
    ["curve", "utilisation", "power_w", "source"],
    [{"curve": "xeon-e5-2620v3", "utilisation": u, "power_w": p, "source": curve_src} for u, p in curve],
)

WAKE_NOTE = (
    "wake_time_s, sleep_power_w (0.1 x idle) and wake_energy_j (wake_time_s x peak_power_w) "
    "are assumptions, not measurements"
)


def hw(
    name: str,
    tier: str,
    device_class: str,
    throughput: float,
    memory_gib: float,
    idle: float,
    peak: float,
    wake_s: float,
    description: str,
    source: str,
    notes: str,
    verified: str,
    power_curve: str = "",
) -> dict[str, object]:
    return {
        "name": name,
        "tier": tier,
        "device_class": device_class,
        "throughput_flops": throughput,
        "memory_bytes": float(memory_gib * GIB),
        "idle_power_w": idle,
        "peak_power_w": peak,
        "wake_time_s": wake_s,
        "wake_energy_j": wake_s * peak,
        "sleep_power_w": round(0.1 * idle, 4),
        "power_curve": power_curve,
        "description": description,
        "source": source,
        "notes": f"{notes}; {WAKE_NOTE}",
        "verified": verified,
    }


def gpu_eff(dense_fp16_flops: float) -> float:
    return GPU_UTIL * dense_fp16_flops


GPU_UTIL_NOTE = (
    f"throughput = {GPU_UTIL} x dense FP16 tensor peak (assumed utilisation for batched CNN "
    "inference with TensorRT; unverified: replace with a measured value where available)"
)
A100_PEAK = 6500.0 / 8  # DGX A100 maximum system power / 8 GPUs
H100_PEAK = 10200.0 / 8  # DGX H100 maximum system power / 8 GPUs
hardware = [
    hw(
        "raspberry-pi-4", "device", "rpi4", rpi4_flops, 4, 1.6, 7.2, 30,
        "Raspberry Pi 4 Model B (4x Cortex-A72 1.5 GHz), 4 GB variant",
        f"{GEER} item 'Raspberry Pi 4 model B' (idle 1.6 W, HPL 7.2 W, HPL 11.774 GFLOPS); "
        "MobileNetV1 1.0_224 TFLite CPU latency 87 ms on a Pi 4 from TildAlice, "
        "'MobileNet vs EfficientNet-Lite: Pi 4 First Model 38ms Gap', dev.to (2026)",
        f"throughput = 2 x 569 MMAC / 0.087 s = {rpi4_flops / 1e9:.1f} GFLOP/s (close to the "
        "measured HPL 11.8 GFLOPS); peak_power_w = wall power during HPL; memory: 4 GB variant "
        "(1-8 GB sold)",
        "partial",
    ),
    hw(
        "raspberry-pi-5", "device", "rpi5", cpu_ratio * 37.888e9, 8, 2.8, 13.8, 30,
        "Raspberry Pi 5 Model B (4x Cortex-A76 2.4 GHz), 8 GB variant",
        f"{GEER} item 'Raspberry Pi 5 model B' (idle 2.8 W, HPL 13.8 W, HPL 37.888 GFLOPS)",
        f"throughput = HPL GFLOPS x {cpu_ratio:.3f} (ratio of effective CNN FLOP/s to HPL "
        "calibrated on the Raspberry Pi 4; scaling assumption); peak_power_w = wall power during HPL",
        "no",
    ),
    hw(
        "phone-pixel1", "device", "pixel1", pixel1_flops, 4, 2.9, 10.1, 1,
        "Phone-class SoC: speed of a Google Pixel 1 (Snapdragon 821, one large core, TFLite); "
        "power of a Qualcomm QCS6490 board as a phone-class proxy",
        f"{TFSLIM_V2} MobileNetV2 Pixel 1 latencies (22 variants); power: {GEER} item "
        "'Radxa Dragon Q6A' (QCS6490: idle 2.9 W, HPL 10.1 W)",
        f"throughput = least-squares fit of latency = FLOPs / throughput over the 22 published "
        f"MobileNetV2 Pixel 1 latencies = {pixel1_flops / 1e9:.2f} GFLOP/s (1.0_224 alone: "
        "600 MFLOP / 73.8 ms = 8.1 GFLOP/s); power is a board proxy, not a Pixel 1 "
        "measurement; memory 4 GB (Pixel 1 spec, unverified)",
        "partial",
    ),
    hw(
        "jetson-nano", "edge", "jetson_nano", gpu_eff(472e9), 4, 2.0, 10.0, 30,
        "NVIDIA Jetson Nano 4GB (128-core Maxwell GPU), 10 W mode",
        "NVIDIA spec via YahboomTechnology/Jetson-NANO-4GB README (472 GFLOPS FP16, 4 GB); "
        "llh-ustb/jetson_nano README (10 W MAXN mode)",
        f"throughput = {GPU_UTIL} x 472 GFLOPS FP16 peak (assumed utilisation, unverified); "
        "idle_power_w 2.0 W is an assumption (no citable measurement found; see Holly et al. "
        "2020); peak_power_w = 10 W power mode budget",
        "no",
    ),
    hw(
        "jetson-orin-nano", "edge", "jetson_orin_nano", gpu_eff(67e12 / 4), 8, 2.6, 25.0, 30,
        "NVIDIA Jetson Orin Nano 8GB developer kit (Super, JetPack 6.1+)",
        "Orin Nano Super datasheet via brojogopalsapui.com and hokwangchoi/jetson-orin-nano-"
        "benchmarks README (67 sparse INT8 TOPS, 7-25 W, 8 GB); NVIDIA developer forum thread "
        "348662 (2.6 W whole-board minimal idle, Joulescope)",
        f"dense FP16 = 67 sparse INT8 TOPS / 4 = 16.75 TFLOPS; {GPU_UTIL_NOTE}; idle is a "
        "minimal configuration (PCIe/display off), a stock board idles higher; "
        "peak_power_w = 25 W power mode budget",
        "partial",
    ),
    hw(
        "edge-mini-pc", "edge", "nuc", cpu_ratio * 62.067e9, 16, 9.3, 28.5, 20,
        "NUC-class Intel mini PC (GMKtec NucBox G3 Plus)",
        f"{GEER} item 'GMKtec NucBox G3 Plus' (idle 9.3 W, HPL 28.5 W, HPL 62.067 GFLOPS)",
        f"throughput = HPL GFLOPS x {cpu_ratio:.3f} (Pi-4-calibrated ratio; scaling "
        "assumption); peak_power_w = wall power during HPL; memory 16 GB assumed",
        "no",
    ),
    hw(
        "jetson-agx-orin", "edge", "jetson_agx_orin", gpu_eff(275e12 / 4), 64, 15.0, 60.0, 30,
        "NVIDIA Jetson AGX Orin 64GB (MAXN)",
        "NVIDIA figures via blog.us.fixstars.com Jetson AGX Orin vs Thor (275 sparse INT8 TOPS, "
        "15-60 W); NVIDIA Jetson AGX Orin series datasheet (64 GB LPDDR5)",
        f"dense FP16 = 275 sparse INT8 TOPS (GPU + 2 DLA) / 4 = 68.75 TFLOPS; {GPU_UTIL_NOTE}; "
        "idle_power_w = lowest configurable power mode budget (15 W) as an upper-bound "
        "assumption; peak_power_w = 60 W MAXN budget",
        "no",
    ),
    hw(
        "t4-server", "metro", "t4", gpu_eff(65.13e12), 16, 34.5 + 10.0, 244.5 + 70.0, 120,
        "Small server with one NVIDIA T4 (host: Intel Core Ultra 7 265K class machine)",
        "NVIDIA T4 datasheet via mlco2/impact data/gpus.csv (70 W TDP, 65.13 TFLOPS FP16 "
        f"tensor, 16 GB); host: {GEER} item 'Intel Core Ultra 7 265K' (idle 34.5 W, "
        "stress 244.5 W)",
        f"{GPU_UTIL_NOTE}; idle = host idle 34.5 W + 10 W assumed T4 idle; peak = host CPU "
        "stress 244.5 W + T4 TDP 70 W (upper bound); memory = T4 GPU memory",
        "partial",
    ),
    hw(
        "xeon-server", "cloud", "xeon", cpu_ratio * XEON_HPL, 128, curve[0][1], curve[-1][1], 120,
        "Dual-socket Intel Xeon E5-2620 v3 server (6 cores x 2, 2.4 GHz; measured power-vs-load profile)",
        f"power: {curve_src}; per-request speed cross-check: {OFA} Intel Xeon CPU (MKL-DNN, "
        "batch 1) latencies of the 4 ofa-cpu subnets",
        f"throughput = HPL estimate x {cpu_ratio:.3f} (Pi-4-calibrated ratio) where HPL = 0.85 x "
        "DP peak (2 sockets x 6 cores x 2.4 GHz x 16 FLOP/cycle AVX2 FMA = 460.8 GFLOPS; 0.85 "
        "HPL efficiency assumed) - a capacity estimate with concurrent requests; the published "
        f"OFA batch-1 Xeon latencies fit only {xeon_flops / 1e9:.1f} GFLOP/s per request (those "
        "apply per variant through device_class xeon); idle/peak = ends of the power curve; "
        "memory 128 GB assumed",
        "no",
        power_curve="xeon-e5-2620v3",
    ),
    hw(
        "ampere-altra-server", "cloud", "ampere_altra", cpu_ratio * 1188.3e9, 256, 85.0, 296.0, 120,
        "Arm server (Ampere Altra Developer Platform)",
        f"{GEER} item 'Ampere Altra Developer Platform' (idle 85 W, HPL 296 W, HPL 1188.3 GFLOPS)",
        f"throughput = HPL GFLOPS x {cpu_ratio:.3f} (Pi-4-calibrated ratio; scaling "
        "assumption); peak_power_w = wall power during HPL; memory 256 GB assumed",
        "partial",
    ),
    hw(
        "a100-server", "cloud", "a100", gpu_eff(312e12), 80, 0.3 * A100_PEAK, A100_PEAK, 180,
        "One NVIDIA A100 SXM4 80GB with an eighth of a DGX A100 host",
        "glennklockwood.com A100 page citing the NVIDIA A100 datasheet (312 TFLOPS dense FP16, "
        "400 W, 80 GB); NVIDIA DGX A100 User Guide DU-09821-001 power specifications "
        "(6.5 kW maximum system power, 8 GPUs)",
        f"{GPU_UTIL_NOTE}; peak_power_w = 6500 W / 8 = {A100_PEAK:.1f} W wall incl. host share "
        "(maximum rating); idle_power_w = 30 % of peak is an assumption",
        "partial",
    ),
    hw(
        "h100-server", "cloud", "h100", gpu_eff(989.4e12), 80, 0.3 * H100_PEAK, H100_PEAK, 180,
        "One NVIDIA H100 SXM5 80GB with an eighth of a DGX H100 host",
        "glennklockwood.com H100 page (989.4 TFLOPS dense FP16, 700 W, 80 GB HBM3); NVIDIA DGX "
        "H100 user guide power specifications (10.2 kW maximum system input, 8 GPUs)",
        f"{GPU_UTIL_NOTE}; peak_power_w = 10200 W / 8 = {H100_PEAK:.1f} W wall incl. host share "
        "(maximum rating); idle_power_w = 30 % of peak is an assumption",
        "partial",
    ),
]
write(
    "hardware.csv",
    [
        "name", "tier", "device_class", "throughput_flops", "memory_bytes", "idle_power_w",
        "peak_power_w", "wake_time_s", "wake_energy_j", "sleep_power_w", "power_curve",
        "description", "source", "notes", "verified",
    ],
    hardware,
)

# ---------------------------------------------------------------- links
NET = "network/network_energy_latency_curated.csv"
TRAFICOM = (
    "Traficom pilot study on energy consumption of communications networks (2022): mobile "
    "0.12 kWh/GB, fixed 0.05 kWh/GB (Finland 2021); radio ~60 %, fixed access ~20 %, other "
    "sections ~20 % of network energy"
)
LEAF = "dos-group/leaf examples/smart_city_traffic/settings.py @20275935472e613f394632505a6f6bcca44409e5 (LEAF, Wiesner & Thamsen 2021; simulation parameters)"
KWH_PER_GB = 3.6e6 / 8e9  # J per bit for 1 kWh/GB
e4g = 0.12 * (0.6 / 0.7) * KWH_PER_GB
e5g = e4g / 10
fixed_access = 0.05 * (0.2 / 0.3) * KWH_PER_GB
other = 0.05 * (0.1 / 0.3) * KWH_PER_GB
links = [
    {
        "name": "5g", "bandwidth_bps": 100e6, "latency_s": 0.010, "energy_j_per_bit": e5g,
        "source": f"{TRAFICOM}; IEA 'Accelerating energy efficiency of mobile networks' "
        "(5G expected ~10x more efficient than 4G); ITU-R M.2410 (IMT-2020: 100 Mbit/s "
        "user-experienced rate, 4 ms user-plane latency)",
        "notes": "energy = 4g energy / 10 (IEA expectation); latency 10 ms assumed (ITU "
        "minimum requirement 4 ms); bandwidth = ITU user-experienced data rate",
        "verified": "partial",
    },
    {
        "name": "4g", "bandwidth_bps": 20e6, "latency_s": 0.030, "energy_j_per_bit": e4g,
        "source": TRAFICOM,
        "notes": "energy = 0.12 kWh/GB x radio share of the mobile network's energy "
        "(60 / (60 + 10), other sections split equally with fixed) = 0.103 kWh/GB; "
        "1 kWh/GB = 4.5e-4 J/bit; bandwidth 20 Mbit/s and latency 30 ms assumed",
        "verified": "partial",
    },
    {
        "name": "wifi", "bandwidth_bps": 1.6e9, "latency_s": 0.010, "energy_j_per_bit": 3e-7,
        "source": f"{LEAF}: WIFI_TAXI_TO_TL_WATT_PER_BIT, WIFI_BANDWIDTH, WIFI_LATENCY",
        "notes": "device to access point", "verified": "yes",
    },
    {
        "name": "fibre-access", "bandwidth_bps": 1e9, "latency_s": 0.002,
        "energy_j_per_bit": fixed_access,
        "source": TRAFICOM,
        "notes": "energy = 0.05 kWh/GB x fixed-access share of the fixed network's energy "
        "(20 / (20 + 10)); bandwidth 1 Gbit/s and latency 2 ms assumed",
        "verified": "partial",
    },
    {
        "name": "metro", "bandwidth_bps": 10e9, "latency_s": 0.002, "energy_j_per_bit": other / 2,
        "source": TRAFICOM,
        "notes": "energy = half of the 'other sections' (aggregation + core) share of the fixed "
        "network's 0.05 kWh/GB (10 / 30), split equally between metro and core; bandwidth "
        "10 Gbit/s and latency 2 ms assumed; charged per link traversed",
        "verified": "partial",
    },
    {
        "name": "core", "bandwidth_bps": 100e9, "latency_s": 0.010, "energy_j_per_bit": other / 2,
        "source": TRAFICOM,
        "notes": "energy as metro (the other half of 'other sections'); cross-check: Aslan et "
        "al. 2018 give 0.06 kWh/GB for access+core in 2015 halving every 2 years (~0.0075 "
        "kWh/GB in 2021); bandwidth 100 Gbit/s and latency 10 ms (~2000 km of fibre) assumed",
        "verified": "partial",
    },
    {
        "name": "ethernet", "bandwidth_bps": 1e9, "latency_s": 0.001, "energy_j_per_bit": 0.0,
        "source": f"{LEAF}: ETHERNET_WATT_PER_BIT (0, negligible), ETHERNET_BANDWIDTH, ETHERNET_LATENCY",
        "notes": "LAN", "verified": "yes",
    },
    {
        "name": "wan", "bandwidth_bps": 1e9, "latency_s": 0.100,
        "energy_j_per_bit": (6.658e-6 + 2.0572e-5) / 2,
        "source": f"{LEAF}: WAN_WATT_PER_BIT_UP 6658 nJ/bit, WAN_WATT_PER_BIT_DOWN 20572 nJ/bit, WAN_LATENCY 100 ms",
        "notes": "energy = mean of LEAF up- and downlink per-bit energies (links are "
        "undirected here); bandwidth 1 Gbit/s assumed",
        "verified": "partial",
    },
]
write(
    "link_kinds.csv",
    ["name", "bandwidth_bps", "latency_s", "energy_j_per_bit", "source", "notes", "verified"],
    links,
)

# ---------------------------------------------------------------- models
variants: list[dict[str, object]] = []
measured: list[dict[str, object]] = []
families: dict[str, dict[str, object]] = {}


def family(name: str, weight_sharing: bool, description: str, source: str,
           task: str = "imagenet-classification") -> None:
    families[name] = {
        "family": name, "weight_sharing": weight_sharing, "description": description,
        "source": source, "task": task,
    }


def variant(fam: str, name: str, acc_pct: float, macs: float, params: float, mem: float, source: str,
            published: str, kind: str = "model", width: float | None = None,
            resolution: int | None = None, precision: str = "fp32") -> None:
    variants.append({
        "family": fam, "variant": name, "kind": kind, "width": width, "resolution": resolution,
        "precision": precision, "accuracy": round(acc_pct / 100.0, 6), "flops": 2.0 * macs,
        "params": float(round(params)), "memory_bytes": float(round(mem)), "published": published,
        "source": source,
    })


def measure(fam: str, name: str, device_class: str, ms: float, batch: int, source: str) -> None:
    measured.append({
        "family": fam, "variant": name, "device_class": device_class, "latency_s": ms / 1e3,
        "batch_size": batch, "source": source,
    })


# MobileNetV2 (tfslim): separate models
family("mobilenet-v2", False, "MobileNetV2 width x resolution, separately trained (TF-Slim)", TFSLIM_V2)
for r in mnv2:
    p = float(r["params_M"]) * 1e6
    variant("mobilenet-v2", r["variant"], float(r["top1_acc_pct"]), float(r["macs_M"]) * 1e6, p,
            4 * p, TFSLIM_V2, f"top1 {r['top1_acc_pct']} %, {r['macs_M']} MMAC, {r['params_M']} M params",
            width=float(r["width_mult"]), resolution=int(r["resolution"]))
    measure("mobilenet-v2", r["variant"], "pixel1", float(r["latency_pixel1_ms"]), 1,
            f"{TFSLIM_V2}: TF-Lite, Pixel 1 large core, batch 1")

# MobileNetV3 (tfslim): float and uint8
family("mobilenet-v3", False, "MobileNetV3 Large/Small/minimalistic, float and uint8 (TF-Slim)", TFSLIM_V2)
for r in tf:
    if not r["model"].startswith("MobileNetV3"):
        continue
    p = float(r["params_M"]) * 1e6
    int8 = r["precision"] == "uint8"
    variant("mobilenet-v3", r["variant"], float(r["top1_acc_pct"]), float(r["macs_M"]) * 1e6, p,
            (1 if int8 else 4) * p, TFSLIM_V2,
            f"top1 {r['top1_acc_pct']} %, {r['macs_M']} MMAC, {r['params_M']} M params, {r['precision']}",
            kind="quantized" if int8 else "model", width=float(r["width_mult"]),
            resolution=int(r["resolution"]), precision="int8" if int8 else "fp32")
    for dev in ("pixel1", "pixel2", "pixel3"):
        if r[f"latency_{dev}_ms"]:
            measure("mobilenet-v3", r["variant"], dev, float(r[f"latency_{dev}_ms"]), 1,
                    f"{TFSLIM_V2}: TF-Lite, {dev} large core, batch 1")

# MobileNetV1 (tfslim): float and 8-bit quantised
family("mobilenet-v1", False, "MobileNetV1 width x resolution, float and 8-bit quantised (TF-Slim)", TFSLIM_V1)
mnv1_params: dict[float, float] = {}
for r in tf:
    if r["model"] != "MobileNetV1":
        continue
    p = float(r["params_M"]) * 1e6
    mnv1_params[float(r["width_mult"])] = p
    int8 = r["precision"] != "float32"
    variant("mobilenet-v1", r["variant"], float(r["top1_acc_pct"]), float(r["macs_M"]) * 1e6, p,
            (1 if int8 else 4) * p, TFSLIM_V1,
            f"top1 {r['top1_acc_pct']} %, {r['macs_M']} MMAC, {r['params_M']} M params, {r['precision']}",
            kind="quantized" if int8 else "model", width=float(r["width_mult"]),
            resolution=int(r["resolution"]), precision="int8" if int8 else "fp32")
mnv2_params = {float(r["width_mult"]): float(r["params_M"]) * 1e6 for r in mnv2}


def quad_fit(points: dict[float, float]) -> tuple[float, float, float]:
    """Least-squares params(w) = a w^2 + b w + c (conv weights ~ w^2, classifier/BN ~ w)."""
    import numpy as np

    w = np.array(sorted(points))
    y = np.array([points[x] for x in sorted(points)])
    a, b, c = np.polyfit(w, y, 2)
    return float(a), float(b), float(c)


fit_v1 = quad_fit(mnv1_params)
fit_v2 = quad_fit(mnv2_params)


def params_from(fit: tuple[float, float, float], w: float) -> float:
    return fit[0] * w * w + fit[1] * w + fit[2]


# Slimmable, US and AutoSlim
slim = read("models/slimmable_us_autoslim_imagenet.csv")
RESNET50_PARAMS = 25557032.0  # torchvision ResNet-50
RESNET50_FC = 2048 * 1000 + 1000
SHUFFLENET_2X_PARAMS = 5.4e6  # ShuffleNet V1 2x (g=3), Zhang et al. CVPR 2018 Table; unverified
slim_fams = {
    "S-MobileNet v1": ("s-mobilenet-v1", "width"),
    "S-MobileNet v2": ("s-mobilenet-v2", "width"),
    "S-ShuffleNet": ("s-shufflenet", "width"),
    "S-ResNet-50": ("s-resnet-50", "width"),
    "US-MobileNet v1": ("us-mobilenet-v1", "width"),
    "US-MobileNet v2": ("us-mobilenet-v2", "width"),
    "AutoSlim-MobileNet v1": ("autoslim-mobilenet-v1", "model"),
    "AutoSlim-MobileNet v2": ("autoslim-mobilenet-v2", "model"),
    "AutoSlim-MNasNet": ("autoslim-mnasnet", "model"),
    "AutoSlim-ResNet-50": ("autoslim-resnet-50", "model"),
}
#: AutoSlim networks whose searched channel numbers are published (layer walks count params)
AUTOSLIM_WALK = {
    "AutoSlim-MobileNet v1": "mobilenet-v1",
    "AutoSlim-MobileNet v2": "mobilenet-v2",
    "AutoSlim-MNasNet": "mnasnet",
}
AUTOSLIM_BASE = {  # base network (params, MACs) used to estimate params from MACs
    "AutoSlim-MobileNet v1": (mnv1_params[1.0], 569e6),
    "AutoSlim-MobileNet v2": (mnv2_params[1.0], 300e6),
    "AutoSlim-MNasNet": (4383312.0, 314e6),  # torchvision mnasnet1_0
    "AutoSlim-ResNet-50": (RESNET50_PARAMS, 4089e6),
}


def slim_params(model: str, w: float, macs: float) -> tuple[float, str]:
    if model in ("S-MobileNet v1", "US-MobileNet v1"):
        if w in mnv1_params:
            return mnv1_params[w], "params: TF-Slim MobileNetV1 at this width"
        return params_from(fit_v1, w), "params: quadratic fit in width of TF-Slim MobileNetV1 params (estimate)"
    if model in ("S-MobileNet v2", "US-MobileNet v2"):
        if w in mnv2_params:
            return mnv2_params[w], "params: TF-Slim MobileNetV2 at this width"
        return params_from(fit_v2, w), "params: quadratic fit in width of TF-Slim MobileNetV2 params (estimate)"
    if model == "S-ResNet-50":
        return (RESNET50_PARAMS - RESNET50_FC) * w * w + RESNET50_FC * w, (
            "params: torchvision ResNet-50 conv weights x w^2 + classifier x w (estimate)"
        )
    if model == "S-ShuffleNet":
        return float(architectures.s_shufflenet(w).params), (
            "params: counted by a layer walk of the slimmable ShuffleNet "
            "(slimplace.calibration.architectures.s_shufflenet; models/s_shufflenet.py and "
            "apps/s_shufflenet_train_val.yml of JiahuiYu/slimmable_networks)"
        )
    if model in AUTOSLIM_WALK:
        return float(architectures.autoslim(AUTOSLIM_WALK[model], round(macs / 1e6)).params), (
            "params: counted by a layer walk of the published AutoSlim channel numbers "
            "(slimplace.calibration.architectures.autoslim; apps/autoslim_*_train_val.yml of "
            "JiahuiYu/slimmable_networks)"
        )
    base_p, base_macs = AUTOSLIM_BASE[model]
    return base_p * macs / base_macs, "params: base network params x MACs ratio (estimate, unverified)"


groups: dict[str, list[dict[str, str]]] = {}
for r in slim:
    groups.setdefault(r["model"], []).append(r)
for model, rows in groups.items():
    fam, kind = slim_fams[model]
    ws = kind == "width"
    family(fam, ws, f"{model} ({rows[0]['family']}), ImageNet", f"{SLIM}; {rows[0]['paper']}")
    est = []
    for r in rows:
        macs = float(r["mflops"]) * 1e6
        w = float(r["width_mult"]) if r["width_mult"] else None
        p, note = slim_params(model, w if w is not None else 1.0, macs)
        est.append((r, macs, w, p, note))
    full_mem = 4 * max(e[3] for e in est)
    for r, macs, w, p, note in est:
        name = f"{r['width_mult']}x" if w is not None else f"{fam}-{float(r['mflops']):.0f}m"
        mem = full_mem if ws else 4 * p
        memnote = "memory = full-width weights (shared)" if ws else "memory = params x 4 B"
        variant(fam, name, float(r["top1_acc_pct"]), macs, p, mem,
                f"{SLIM} ({r['paper']}); FLOPs column counts multiply-adds; {note}; {memnote}",
                f"top1 {r['top1_acc_pct']} %, {r['mflops']} MFLOPs(=MMAC)",
                kind=kind, width=w, resolution=int(r["resolution"]))

# Once-for-All specialised subnets, one family per design space
DEVCLASS = {
    "LG G8": "lg_g8", "Samsung S7 Edge": "s7edge", "Samsung Note8": "note8",
    "Samsung Note10": "note10", "Google Pixel1": "pixel1", "Google Pixel2": "pixel2",
    "NVIDIA GTX 1080Ti GPU": "gtx1080ti", "NVIDIA V100 GPU": "v100",
    "NVIDIA Jetson TX2 GPU": "jetson_tx2", "Intel Xeon CPU (MKL-DNN)": "xeon",
}
OFA_FAM = {"ResNet50D": "ofa-resnet50d", "OFA MobileNetV3-based space": "ofa-mobilenet-v3"}
for space, fam in OFA_FAM.items():
    rows = [r for r in ofa_rows if r["design_space"] == space]
    family(fam, True, f"Once-for-All specialised subnets of the {space} supernet", OFA)
    full_mem = 4 * max(float(r["params_M"]) * 1e6 for r in rows)
    for r in rows:
        p = float(r["params_M"]) * 1e6
        ft = f"fine-tuned {r['finetune_epochs']} epochs after extraction; " if r["finetune_epochs"] else ""
        variant(fam, r["model_name"], float(r["top1_acc_pct"]), float(r["macs_M"]) * 1e6, p, full_mem,
                f"{OFA}: net id {r['ofa_net_id']}; {ft}memory = largest listed subnet's weights "
                "(lower bound of the supernet)",
                f"top1 {r['top1_acc_pct']} %, {r['macs_M']} MMAC, {r['params_M']} M params",
                kind="ofa")
        if r["latency_ms"]:
            dev = r["latency_device"].replace(" (phone CPU)", "")
            measure(fam, r["model_name"], DEVCLASS[dev], float(r["latency_ms"]),
                    int(r["latency_batch_size"]),
                    f"{OFA}: latency constraint the subnet was searched for on {r['latency_device']}, "
                    f"batch {r['latency_batch_size']}")

# torchvision: ResNet, EfficientNet and families with int8 counterparts
tv = read("models/torchvision_imagenet_weights_meta.csv")
TV_FAM = {
    "ResNet": "resnet", "EfficientNet_B": "efficientnet", "MobileNet_V2": "mobilenet-v2-tv",
    "MobileNet_V3_Large": "mobilenet-v3-tv", "ShuffleNet_V2": "shufflenet-v2",
    "GoogLeNet": "googlenet", "Inception_V3": "inception-v3", "ResNeXt": "resnext",
}
TV_DESC = {
    "resnet": "torchvision ResNet-18..152 with int8 (FBGEMM) ResNet-18/50",
    "efficientnet": "torchvision EfficientNet-B0..B7 (ported from the paper)",
    "mobilenet-v2-tv": "torchvision MobileNetV2 float and int8 (QNNPACK)",
    "mobilenet-v3-tv": "torchvision MobileNetV3-Large float and int8 (QNNPACK)",
    "shufflenet-v2": "torchvision ShuffleNetV2 x0.5-x2.0 float and int8 (FBGEMM)",
    "googlenet": "torchvision GoogLeNet float and int8 (FBGEMM)",
    "inception-v3": "torchvision Inception-V3 float and int8 (FBGEMM)",
    "resnext": "torchvision ResNeXt-50/101 float and int8 (FBGEMM)",
}


def tv_family(enum: str) -> str | None:
    if enum.startswith(("Wide_", "EfficientNet_V2")):
        return None
    for prefix, fam in TV_FAM.items():
        if enum.startswith(prefix):
            return fam
    return None


def tv_name(enum: str, tag: str, quant: bool) -> str:
    base = enum.replace("_QuantizedWeights", "").replace("_Weights", "").lower()
    ver = tag.rsplit("_V", 1)[-1]
    name = base + ("" if ver == "1" else f"-v{ver}")
    return name + ("-int8" if quant else "")


for fam, desc in TV_DESC.items():
    family(fam, False, desc, "torchvision 0.29.1 model weights metadata (BSD-3-Clause)")
for r in tv:
    fam = tv_family(r["weights_enum"])
    if fam is None:
        continue
    quant = r["quantized"] == "yes"
    p = float(r["num_params"])
    src = TV.format(file=r["source_file"]) + f"; weights {r['weights_enum']}.{r['tag']}"
    if quant:
        src += f"; int8 of {r['unquantized']}"
    variant(fam, tv_name(r["weights_enum"], r["tag"], quant), float(r["top1_acc_pct"]),
            float(r["gflops"]) * 1e9, p, float(r["file_size_MB"]) * 2**20,
            src + "; GFLOPS column counts multiply-adds; memory = published file size (MiB)",
            f"top1 {r['top1_acc_pct']} %, {r['gflops']} GFLOPS(=GMAC), {r['num_params']} params, "
            f"{r['file_size_MB']} MB",
            kind="quantized" if quant else "model", resolution=int(r["crop_size"]),
            precision="int8" if quant else "fp32")

# Detection and segmentation: published tables curated in tools/data (one source per row).
# accuracy = COCO val2017 box mAP@0.5:0.95 (detection) or mIoU on the COCO subset with the
# 20 VOC classes (torchvision segmentation); variant() stores FLOPs = 2 x MACs, so tables that
# publish FLOPs counted as 2 x MACs (ultralytics: thop MACs x 2 in utils/torch_utils.py
# model_info) are halved first; EfficientDet counts multiply-adds (the EfficientNet convention,
# B0 = 0.39 B, the number torchvision lists as GMACs), as does torchvision's "_ops".
DETSEG = {
    "yolov5": ("coco-detection", "Ultralytics YOLOv5 n/s/m/l/x at 640 px; accuracy = COCO val2017 box mAP@0.5:0.95"),
    "yolov8": ("coco-detection", "Ultralytics YOLOv8 n/s/m/l/x at 640 px; accuracy = COCO val2017 box mAP@0.5:0.95"),
    "efficientdet": ("coco-detection", "EfficientDet D0-D7 (512-1536 px); accuracy = COCO val2017 box mAP@0.5:0.95"),
    "tv-detection": ("coco-detection", "torchvision detectors: SSDlite/Faster R-CNN MobileNetV3, SSD300 VGG16, RetinaNet, FCOS, Faster R-CNN ResNet-50; accuracy = COCO val2017 box mAP@0.5:0.95"),
    "tv-segmentation": ("voc-segmentation", "torchvision LR-ASPP/DeepLabV3 MobileNetV3-Large, FCN and DeepLabV3 ResNet-50/101 (520 px); accuracy = mIoU on COCO val2017 with the 20 VOC classes"),
}
DETSEG_CSV = ROOT / "tools/data/detection_segmentation_published.csv"
with DETSEG_CSV.open(newline="") as fh:
    detseg_rows = list(csv.DictReader(fh))
for name, (task, desc) in DETSEG.items():
    srcs = sorted({r["source"].split(" (")[0] for r in detseg_rows if r["family"] == name})
    family(name, False, desc, "; ".join(srcs), task=task)
for r in detseg_rows:
    published_g = float(r["published_gflops"])
    macs = published_g * 1e9 / (2.0 if r["flops_convention"] == "2xMAC" else 1.0)
    p = float(r["params"])
    mem = float(r["file_size_mb"]) * 2**20 if r["file_size_mb"] else 4.0 * p
    note = ("; FLOPs published as 2 x MACs" if r["flops_convention"] == "2xMAC"
            else "; published FLOPs count multiply-adds")
    note += "; memory = published file size (MiB)" if r["file_size_mb"] else "; memory = 4 bytes x params (fp32)"
    variant(r["family"], r["variant"], float(r["accuracy_pct"]), macs, p, mem,
            r["source"] + note, r["published"],
            resolution=int(r["resolution"]) if r["resolution"] else None)

# family-level load time (assumption) and switch time
LOAD_RATE = 200e6  # bytes/s, assumed storage read + deserialisation rate
LOAD_FIXED = 0.5  # s, assumed framework/session setup
fam_rows = []
for name, f in families.items():
    vs = [v for v in variants if v["family"] == name]
    max_mem = max(float(v["memory_bytes"]) for v in vs)
    fam_rows.append({
        **f, "switch_time_s": 1e-3,
        "load_time_s": round(LOAD_FIXED + max_mem / LOAD_RATE, 4),
    })
write("families.csv", ["family", "weight_sharing", "switch_time_s", "load_time_s", "task", "description", "source"], fam_rows)
write("variants.csv", ["family", "variant", "kind", "width", "resolution", "precision", "accuracy", "flops", "params", "memory_bytes", "published", "source"], variants)
write("measured_latency.csv", ["family", "variant", "device_class", "latency_s", "batch_size", "source"], measured)

# ---------------------------------------------------------------- regions
regions = []
for r in read("carbon/country_carbon_intensity_from_codecarbon.csv"):
    regions.append({
        "code": r["iso3"], "name": r["country"], "kind": "country",
        "carbon_g_per_kwh": float(r["carbon_intensity_gCO2e_per_kWh"]),
        "source": f"{CODECARBON} codecarbon/data/private_infra/global_energy_mix.json (MIT; Our World in Data / Ember), year {r['year']}",
    })
per_source = json.loads((SHARED / "carbon/codecarbon_private_infra_carbon_intensity_per_source.json").read_text())
world = per_source.get("world_average", 475)
regions.append({
    "code": "WORLD", "name": "World average", "kind": "world", "carbon_g_per_kwh": float(world),
    "source": f"{CODECARBON} codecarbon/data/private_infra/carbon_intensity_per_source.json world_average (MIT); IEA Global Energy & CO2 Status Report 2019",
})
for r in read("carbon/mlco2_impact_impact.csv"):
    region = r["region"] or r["regionName"].lower()
    regions.append({
        "code": f"{r['provider'].lower()}:{region}",
        "name": f"{r['providerName']} {r['regionName'] or region} ({r['city']}, {r['country']})".replace("  ", " "),
        "kind": "cloud", "carbon_g_per_kwh": float(r["impact"]),
        "source": f"{MLCO2}; original source: {r['source']}",
    })
codes = [r["code"] for r in regions]
assert len(codes) == len(set(codes)), "duplicate region codes"
write("regions.csv", ["code", "name", "kind", "carbon_g_per_kwh", "source"], regions)
print(len(hardware), "hardware;", len(links), "links;", len(fam_rows), "families;", len(variants),
      "variants;", len(measured), "latencies;", len(regions), "regions")
print("cpu_ratio", cpu_ratio, "pixel1", pixel1_flops, "xeon", xeon_flops, "world", world)
