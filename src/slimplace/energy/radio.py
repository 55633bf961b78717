"""Energy a user device's radio spends per request (Huang et al., MobiSys 2012).

The LTE model of Huang, Qian, Gerber, Mao, Sen and Spatscheck ("A close examination
of performance and power characteristics of 4G LTE networks", MobiSys 2012), as
implemented by AT&T's ARO: while transferring, the radio draws
``alpha_up * uplink Mbit/s + alpha_down * downlink Mbit/s + beta``; an idle radio is
first promoted to the connected state (``promotion_s`` at ``promotion_w``); after the
last packet it stays in a *tail* (the inactivity timer, then DRX) before it goes idle.

A request of U bits up and D bits down over an access link of R bit/s therefore costs
``alpha_up U + alpha_down D + beta (U + D) / R`` to transfer. The tail and the
promotion depend on the request rate: a request that arrives during the previous
one's tail cuts it short and needs no promotion. With Poisson arrivals at rate
lambda (inter-arrival time T ~ Exp(lambda)) a renewal-reward argument gives, per
request, for a tail of phases k starting at s_k, lasting d_k at power P_k
(total tail length tau)::

    E[tail]      = sum_k P_k * E[time of phase k before the next request]
                 = sum_k P_k * exp(-lambda s_k) * (1 - exp(-lambda d_k)) / lambda
    E[promotion] = promotion_s * promotion_w * P(T > tau) = promotion energy * exp(-lambda tau)

(as lambda -> 0 every request pays the whole tail and a promotion; as lambda grows
the radio stays connected and the tail costs ~ P_tail / lambda per request, i.e. the
radio draws its tail power continuously). Requests of one demand are taken as one
Poisson stream at the demand's rate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from slimplace.arrays import FloatArray, IntArray
from slimplace.scenario.model import RadioModel


def _phase_time_s(rate_per_s: FloatArray, start_s: float, length_s: float) -> FloatArray:
    """Expected time a tail phase [start, start + length) runs before the next request:
    ``exp(-lambda s) (1 - exp(-lambda d)) / lambda`` (``d`` as lambda -> 0)."""
    lam = np.asarray(rate_per_s, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        cut = -np.expm1(-lam * length_s) / lam
    return np.exp(-lam * start_s) * np.where(lam > 0, cut, length_s)


def radio_energy_j(
    model: RadioModel,
    up_bits: FloatArray,
    down_bits: FloatArray,
    access_bps: FloatArray,
    rate_per_s: FloatArray,
) -> FloatArray:
    """Energy (J) the device radio spends per request (see the module docstring)."""
    up = np.asarray(up_bits, dtype=np.float64)
    down = np.asarray(down_bits, dtype=np.float64)
    transfer = (
        model.uplink_j_per_bit * up
        + model.downlink_j_per_bit * down
        + model.active_w * (up + down) / np.asarray(access_bps, dtype=np.float64)
    )
    tail = model.tail1_w * _phase_time_s(rate_per_s, 0.0, model.tail1_s)
    tail = tail + model.tail2_w * _phase_time_s(rate_per_s, model.tail1_s, model.tail2_s)
    tau = model.tail1_s + model.tail2_s
    promotion = model.promotion_s * model.promotion_w * np.exp(-np.asarray(rate_per_s) * tau)
    return np.asarray(transfer + tail + promotion, dtype=np.float64)


def demand_radio_energy_j(
    models: Sequence[RadioModel],
    demand_radio: IntArray,
    up_bits: FloatArray,
    down_bits: FloatArray,
    access_bps: FloatArray,
    rate_per_s: FloatArray,
) -> FloatArray:
    """Radio energy per request of every demand (0 where its source has no radio model):
    ``demand_radio`` indexes ``models`` (-1 for none)."""
    out = np.zeros(len(demand_radio))
    for r, model in enumerate(models):
        d = np.flatnonzero(demand_radio == r)
        if len(d):
            out[d] = radio_energy_j(
                model, up_bits[d], down_bits[d], access_bps[d], np.asarray(rate_per_s)[d]
            )
    return out
