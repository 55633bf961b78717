"""The workload mix of a generated continuum: which devices sit under each antenna and
what inference they ask for.

Three device classes by default (per antenna):

- **cameras** (video analytics): a camera with a Raspberry-Pi-class SoC streaming
  frames at 5-30 frames/s to an object detector (YOLOv5/v8, EfficientDet, torchvision
  detectors) or a segmentation network; a frame is a JPEG of a 640-px image
  (30-80 kB, an assumption: JPEG at quality ~75 compresses a 640x480 street scene to
  roughly 0.1-0.25 byte/pixel); the answer a list of boxes (0.5-2 kB).
- **phones** (classification, AR): 0.5-5 requests/s of 20-100 kB images to ImageNet
  classifiers; answers of 0.2-1 kB.
- **sensors** (low-rate snapshots): 0.1-1 request/s of 2-10 kB thumbnails to small
  classifiers; answers of 50-200 B.

Each device belongs to one application of its class (one demand per device). A
device's rate is capped so its own access link stays at most ``access_share``
loaded by its requests and answers (a 4G camera cannot stream 30 frames/s of 80 kB).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from slimplace.errors import InputError, Problem

#: Families a camera application draws from (COCO detection, VOC segmentation).
CAMERA_FAMILIES = ("yolov5", "yolov8", "efficientdet", "tv-detection", "tv-segmentation")
#: Families a phone application draws from (ImageNet classification).
PHONE_FAMILIES = (
    "mobilenet-v3",
    "ofa-mobilenet-v3",
    "s-mobilenet-v2",
    "efficientnet",
    "resnet",
    "mobilenet-v2",
)
#: Families a sensor application draws from (small ImageNet classifiers).
SENSOR_FAMILIES = ("mobilenet-v1", "shufflenet-v2", "s-shufflenet")


@dataclass(frozen=True, kw_only=True, slots=True)
class DeviceClass:
    """One kind of device under each antenna and the applications it runs.

    ``per_antenna`` devices of hardware drawn from ``hardware``, each linked to its
    antenna by a kind drawn from ``access``; ``n_apps`` applications whose family is
    drawn from ``families`` (the ones the catalog has); per source a rate in
    ``rate_per_s`` (frames/s for cameras), per application request and response
    sizes in ``request_bytes`` and ``response_bytes``.
    """

    name: str
    per_antenna: int
    hardware: tuple[str, ...]
    access: tuple[str, ...]
    families: tuple[str, ...]
    n_apps: int
    rate_per_s: tuple[float, float]
    request_bytes: tuple[float, float]
    response_bytes: tuple[float, float]


CAMERAS = DeviceClass(
    name="cameras",
    per_antenna=2,
    hardware=("raspberry-pi-4",),
    access=("5g", "wifi", "4g"),
    families=CAMERA_FAMILIES,
    n_apps=2,
    rate_per_s=(5.0, 30.0),
    request_bytes=(30e3, 80e3),
    response_bytes=(500.0, 2e3),
)
PHONES = DeviceClass(
    name="phones",
    per_antenna=3,
    hardware=("phone-pixel1",),
    access=("4g", "5g", "wifi"),
    families=PHONE_FAMILIES,
    n_apps=2,
    rate_per_s=(0.5, 5.0),
    request_bytes=(20e3, 100e3),
    response_bytes=(200.0, 1e3),
)
SENSORS = DeviceClass(
    name="sensors",
    per_antenna=1,
    hardware=("raspberry-pi-4",),
    access=("4g", "wifi"),
    families=SENSOR_FAMILIES,
    n_apps=1,
    rate_per_s=(0.1, 1.0),
    request_bytes=(2e3, 10e3),
    response_bytes=(50.0, 200.0),
)
DEFAULT_CLASSES: tuple[DeviceClass, ...] = (CAMERAS, PHONES, SENSORS)


def parse_mix(text: str, where: str = "--mix") -> dict[str, int]:
    """``"cameras=2,phones=3,sensors=1"`` -> per-antenna counts; names must be known classes."""
    known = {c.name for c in DEFAULT_CLASSES}
    counts: dict[str, int] = {}
    problems: list[Problem] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in known:
            problems.append(
                Problem(where, f"expected NAME=COUNT with NAME in {sorted(known)}, got {part!r}")
            )
            continue
        try:
            count = int(value)
        except ValueError:
            count = -1
        if count < 0:
            problems.append(Problem(where, f"{name}: count must be a whole number >= 0"))
            continue
        counts[name] = count
    if problems:
        raise InputError("slimplace import", problems)
    return counts


def with_counts(
    classes: tuple[DeviceClass, ...], counts: Mapping[str, int]
) -> tuple[DeviceClass, ...]:
    """``classes`` with the per-antenna counts in ``counts`` (others unchanged)."""
    return tuple(replace(c, per_antenna=counts[c.name]) if c.name in counts else c for c in classes)


def scale_classes(classes: tuple[DeviceClass, ...], total: int) -> tuple[DeviceClass, ...]:
    """``classes`` with ``total`` devices per antenna split in proportion to their counts
    (largest remainder; ties to the earlier class)."""
    weights = [c.per_antenna for c in classes]
    whole = sum(weights) or 1
    exact = [total * w / whole for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(classes)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return tuple(replace(c, per_antenna=n) for c, n in zip(classes, counts, strict=True))


def share_apps(classes: tuple[DeviceClass, ...], total: int) -> tuple[DeviceClass, ...]:
    """``total`` applications over the classes with devices, round-robin; a class left
    without an application gets no devices."""
    active = [i for i, c in enumerate(classes) if c.per_antenna > 0]
    n = [0] * len(classes)
    for k in range(total):
        if active:
            n[active[k % len(active)]] += 1
    return tuple(
        replace(c, n_apps=n[i], per_antenna=c.per_antenna if n[i] else 0)
        for i, c in enumerate(classes)
    )


def parse_range(text: str, where: str) -> tuple[float, float]:
    """``"5-30"`` or ``"15"`` -> (lo, hi) with 0 < lo <= hi."""
    lo_text, sep, hi_text = text.partition("-")
    try:
        lo = float(lo_text)
        hi = float(hi_text) if sep else lo
    except ValueError:
        problem = Problem(where, f"expected LO-HI, got {text!r}")
        raise InputError("slimplace import", [problem]) from None
    if not 0 < lo <= hi:
        raise InputError("slimplace import", [Problem(where, f"needs 0 < LO <= HI, got {text!r}")])
    return lo, hi
