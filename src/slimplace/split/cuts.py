"""Cut tables: for each variant of a split application and each admissible cut, the
share of the model before the cut and the bits that cross the network.

The head's share of compute is its share of the model's FLOPs (the profile's blocks),
applied to the calibrated latency of the whole variant on each device: a FLOP-share
split of the latency model, where Neurosurgeon (Kang et al., ASPLOS 2017) fits one
regression per layer type. Its share of the weights is the profile's parameter share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from slimplace.arrays import FloatArray, IntArray
from slimplace.scenario.model import Application, ModelFamily, SplitSpec, Variant
from slimplace.split.precision import cut_accuracy_loss
from slimplace.split.profiles import AUTO, BYTES_PER_ELEMENT, network_names, profile_for


@dataclass(frozen=True, slots=True)
class CutTable:
    """Cuts of one application: rows are the family's variants (``variants``, indices in
    the compiled problem's variant space), columns its cuts, padded: ``cut_index`` -1
    (and NaN shares) where a variant has fewer cuts, or no profile."""

    app: int
    variants: IntArray
    #: names of each variant's cuts
    cut_names: tuple[tuple[str, ...], ...]
    #: index of each cut among its network's blocks (the block after which it cuts)
    cut_index: IntArray
    head_share: FloatArray
    param_share: FloatArray
    cut_bits: FloatArray
    accuracy_loss: float
    #: block index of each variant's early exit (-1: none) and the head's FLOP share
    #: up to it (:class:`~slimplace.scenario.model.SplitSpec` ``exit_after``)
    exit_index: IntArray | None = None
    exit_share: FloatArray | None = None
    exit_rate: float = 0.0
    exit_accuracy_loss: float = 0.0

    def exit_rates(self) -> FloatArray:
        """Share of requests leaving at the exit, per (variant, cut): the exit's rate
        where the cut is at or after the exit block, else 0."""
        if self.exit_index is None or self.exit_rate <= 0:
            return np.zeros(self.cut_index.shape)
        inside = (self.exit_index[:, None] >= 0) & (self.cut_index >= self.exit_index[:, None])
        return np.where(inside, self.exit_rate, 0.0)


def variant_network(spec: SplitSpec, variant: Variant) -> str | None:
    """The profiled network of ``variant``: the spec's, or with ``network: auto`` the
    longest profiled name that starts the variant's name (``-`` read as ``_``)."""
    if spec.network != AUTO:
        return spec.network
    name = variant.name.lower().replace("-", "_")
    found = [n for n in network_names() if name.startswith(n)]
    return max(found, key=len) if found else None


def split_cut_table(app_index: int, app: Application, family: ModelFamily, first: int) -> CutTable:
    """The cut table of a ``split:`` application whose family's variants start at index
    ``first`` of the compiled variant space."""
    spec = app.split
    assert spec is not None
    rows: list[tuple[FloatArray, FloatArray, FloatArray, IntArray]] = []
    names: list[tuple[str, ...]] = []
    exit_index = np.full(len(family.variants), -1, dtype=np.int64)
    exit_share = np.zeros(len(family.variants))
    for i, v in enumerate(family.variants):
        net = variant_network(spec, v)
        if net is None:
            names.append(())
            rows.append((np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64)))
            continue
        p = profile_for(net, v.width)
        if spec.exit_after in p.cut_names:
            exit_index[i] = p.cut_names.index(spec.exit_after)
            exit_share[i] = p.head_flops_share()[exit_index[i]]
        keep = np.array([not spec.cuts or c in spec.cuts for c in p.cut_names], dtype=bool)
        names.append(tuple(c for c, k in zip(p.cut_names, keep, strict=True) if k))
        elements = p.cut_elements(v.width, v.resolution)[keep]
        bits = 8.0 * BYTES_PER_ELEMENT[spec.cut_precision] * elements
        index = np.nonzero(keep)[0].astype(np.int64)
        rows.append((p.head_flops_share()[keep], p.head_params_share()[keep], bits, index))
    width = max([len(r[0]) for r in rows] + [0])

    def pad(i: int, fill: float) -> FloatArray:
        return np.array([np.pad(r[i], (0, width - len(r[i])), constant_values=fill) for r in rows])

    return CutTable(
        app=app_index,
        variants=first + np.arange(len(family.variants), dtype=np.int64),
        cut_names=tuple(names),
        cut_index=pad(3, -1).astype(np.int64),
        head_share=pad(0, np.nan),
        param_share=pad(1, np.nan),
        cut_bits=pad(2, np.nan),
        accuracy_loss=cut_accuracy_loss(spec.cut_precision, spec.cut_accuracy_loss),
        exit_index=exit_index,
        exit_share=exit_share,
        exit_rate=spec.exit_rate,
        exit_accuracy_loss=spec.exit_accuracy_loss,
    )


__all__ = ["CutTable", "split_cut_table", "variant_network"]
