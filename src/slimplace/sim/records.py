"""Per-step records: a fixed buffer of rows streamed to Parquet in row groups.

Memory stays flat whatever the horizon: the engine writes each step into one
row of a preallocated block and hands full blocks to a sink
(:class:`ParquetSink`, or :class:`NullSink` when only the summary is wanted).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from slimplace.arrays import FloatArray

if TYPE_CHECKING:
    import pandas as pd


#: Record columns, in order. Powers in W (averages over the step), energies in J,
#: carbon in g, requests as counts over the step. ``fixed_w`` is the power drawn whatever
#: the plan (servers' fixed static power, network baseload and the device radio no plan
#: avoids, at the step's rates; slimplace.energy.accounting). ``mode_switches`` /
#: ``mode_switch_j``: nodes changing power mode with a new plan and its energy;
#: ``batch_unfilled``: requests served at a smaller batch than planned because their stream
#: did not fill it (slimplace.sim.batch_step).
COLUMNS: tuple[str, ...] = (
    "step",
    "time_s",
    "power_w",
    "static_w",
    "dynamic_w",
    "network_w",
    "device_static_w",
    "device_dynamic_w",
    "edge_static_w",
    "edge_dynamic_w",
    "metro_static_w",
    "metro_dynamic_w",
    "cloud_static_w",
    "cloud_dynamic_w",
    "wake_energy_j",
    "load_energy_j",
    "energy_j",
    "carbon_g",
    "grid_g_per_kwh",
    "requests",
    "served",
    "slo_met",
    "slo_ok",
    "dropped",
    "late_transition",
    "mean_latency_s",
    "p95_latency_s",
    "mean_accuracy",
    "max_utilisation",
    "servers_on",
    "servers_ready",
    "wake_ups",
    "model_loads",
    "variant_switches",
    "moves",
    "replanned",
    "decide_s",
    "mix_0",
    "mix_1",
    "mix_2",
    "mix_3",
    "fixed_w",
    "mode_switches",
    "mode_switch_j",
    "batch_unfilled",
)
COL = {name: i for i, name in enumerate(COLUMNS)}
#: Columns stored as integers.
INT_COLUMNS = frozenset(
    {
        "step",
        "servers_on",
        "wake_ups",
        "model_loads",
        "variant_switches",
        "moves",
        "replanned",
        "mode_switches",
    }
)
#: Rows per Parquet row group (and per in-memory block).
BLOCK_ROWS = 2048


class RecordSink(Protocol):
    """Where full blocks of records go."""

    def write(self, block: FloatArray) -> None:
        """Take rows (n, len(COLUMNS)); the array may be reused afterwards."""
        ...

    def close(self) -> None:
        """Flush and release."""
        ...


class NullSink:
    """Discards records (the summary is still computed)."""

    def write(self, block: FloatArray) -> None:
        """Nothing."""

    def close(self) -> None:
        """Nothing."""


def schema() -> pa.Schema:
    """The Parquet schema of the per-step records."""
    return pa.schema([(c, pa.int64() if c in INT_COLUMNS else pa.float64()) for c in COLUMNS])


class ParquetSink:
    """Streams blocks to one Parquet file, a row group per block."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._schema = schema()
        self._writer = pq.ParquetWriter(self.path, self._schema, compression="zstd")

    def write(self, block: FloatArray) -> None:
        """Write one row group."""
        arrays = [
            pa.array(block[:, i].astype(np.int64) if c in INT_COLUMNS else block[:, i])
            for i, c in enumerate(COLUMNS)
        ]
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self._schema))

    def close(self) -> None:
        """Finish the file."""
        self._writer.close()


class MemorySink:
    """Keeps every block in memory (``simulate(..., records="memory")``); for short runs
    whose steps are wanted as a data frame. Memory grows with the horizon."""

    def __init__(self) -> None:
        self._blocks: list[FloatArray] = []

    def write(self, block: FloatArray) -> None:
        """Keep a copy of the block (the engine reuses its buffer)."""
        self._blocks.append(block.copy())

    def close(self) -> None:
        """Nothing to finish."""

    def frame(self) -> pd.DataFrame:
        """The records as a data frame with the Parquet file's columns and types."""
        import pandas as pd

        rows = np.concatenate(self._blocks) if self._blocks else np.zeros((0, len(COLUMNS)))
        frame = pd.DataFrame(rows, columns=list(COLUMNS))
        ints = [c for c in COLUMNS if c in INT_COLUMNS]
        frame[ints] = frame[ints].astype(np.int64)
        return frame


class RecordBuffer:
    """One block of rows; ``row(i)`` is written by the engine, ``flush`` hands it on."""

    def __init__(self, sink: RecordSink, rows: int = BLOCK_ROWS) -> None:
        self.sink = sink
        self.block = np.zeros((rows, len(COLUMNS)))
        self.n = 0

    def next_row(self) -> FloatArray:
        """The row to fill for the next step (flushing first when the block is full)."""
        if self.n == len(self.block):
            self.flush()
        row = self.block[self.n]
        self.n += 1
        return row

    def flush(self) -> None:
        """Send the rows written so far."""
        if self.n:
            self.sink.write(self.block[: self.n])
            self.n = 0

    def close(self) -> None:
        """Flush and close the sink."""
        self.flush()
        self.sink.close()
