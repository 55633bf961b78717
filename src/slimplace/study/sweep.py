"""Running a sweep: expand, skip what is stored, execute, store each outcome as it arrives."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from slimplace.errors import SlimplaceError
from slimplace.study.executors import Executor, ExecutorName, make_executor
from slimplace.study.runner import TrialFailure, TrialFunction, run_trial
from slimplace.study.spec import SweepSpec, check_values, load_spec, parse_spec
from slimplace.study.store import SweepStore
from slimplace.study.trials import MAX_TRIALS, Trial, expand_trials

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SweepSummary:
    """What a run of a sweep did."""

    folder: Path
    total: int
    already_stored: int
    skipped_failed: int
    done: int
    failed: int
    seconds: float

    @property
    def remaining(self) -> int:
        """Trials neither stored nor failed after this run."""
        return self.total - self.already_stored - self.skipped_failed - self.done - self.failed


#: Called after each outcome with (done, failed, remaining).
ProgressCallback = Callable[[int, int, int], None]


def resolve_sweep(
    spec: SweepSpec | str | Path, out_dir: str | Path | None
) -> tuple[SweepSpec, Path]:
    """The spec and its folder: ``spec`` is a spec, a spec file, or a sweep folder to resume."""
    if isinstance(spec, SweepSpec):
        if out_dir is None:
            raise SlimplaceError("give the folder to store the sweep in (out_dir)")
        # a spec built in Python gets the checks a file gets (parameter names, paths)
        return parse_spec(spec.model_dump(), file=f"sweep {spec.name}"), Path(out_dir)
    path = Path(spec)
    if path.is_dir():
        folder = Path(out_dir) if out_dir is not None else path
        return SweepStore(path).read_spec(), folder
    loaded = load_spec(path)
    return loaded, Path(out_dir) if out_dir is not None else Path("sweeps") / loaded.name


class SweepTerminated(KeyboardInterrupt):
    """The driver received SIGTERM: handled as Ctrl-C (workers stopped, stored trials kept)."""


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """While inside, SIGTERM raises :class:`SweepTerminated` in the main thread (so the
    executor stops its workers on the way out); the previous handler comes back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise SweepTerminated(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def pending_trials(
    trials: list[Trial], store: SweepStore, *, retry_failed: bool
) -> tuple[list[Trial], int, int]:
    """Trials still to run, and how many are stored and how many skipped as failed."""
    stored, failed = store.stored_ids(), store.failed_ids()
    todo = [
        t for t in trials if t.trial_id not in stored and (retry_failed or t.trial_id not in failed)
    ]
    n_stored = sum(t.trial_id in stored for t in trials)
    return todo, n_stored, len(trials) - len(todo) - n_stored


def run_sweep(
    spec: SweepSpec | str | Path,
    out_dir: str | Path | None = None,
    *,
    executor: ExecutorName = "local",
    workers: int | None = None,
    address: str | None = None,
    retry_failed: bool = False,
    progress: bool | ProgressCallback = False,
    function: TrialFunction = run_trial,
    max_trials: int = MAX_TRIALS,
) -> SweepSummary:
    """Run every trial of ``spec`` not yet stored in ``out_dir``; store each as it ends.

    ``spec`` is a :class:`SweepSpec`, a spec file, or a sweep folder (resumed in
    place). Failed trials are recorded and skipped on later runs unless
    ``retry_failed``. ``progress`` shows a progress bar (True) or calls a function
    after each trial. ``function`` is the trial function (default
    :func:`slimplace.study.runner.run_trial`).

    Refused before anything runs: unknown methods or policies and values out of range
    (:func:`slimplace.study.spec.check_values`), fewer than one worker, a grid of more
    than ``max_trials`` trials. SIGTERM stops the sweep as Ctrl-C does (raising
    :class:`SweepTerminated`, a ``KeyboardInterrupt``): the workers are stopped, stored
    trials kept; on Linux the workers and their fork server also die with a driver
    killed by SIGKILL (:mod:`slimplace.study.lifeline`).
    """
    spec, folder = resolve_sweep(spec, out_dir)
    check_values(spec, file=f"sweep {spec.name}")
    pool = make_executor(executor, workers=workers, address=address)
    store = SweepStore(folder)
    t0 = time.perf_counter()
    with store.lock():
        trials = expand_trials(spec, max_trials=max_trials)
        store.prepare(spec, {t.trial_id for t in trials})
        todo, n_stored, n_skipped = pending_trials(trials, store, retry_failed=retry_failed)
        log.info(
            "%s: %d trials, %d stored, %d failed before, %d to run",
            spec.name,
            len(trials),
            n_stored,
            n_skipped,
            len(todo),
        )
        done = failed = 0
        if todo:
            with terminate_as_interrupt():
                done, failed = _execute(
                    store,
                    todo,
                    pool,
                    function,
                    _progress_reporter(progress, spec.name, len(todo), n_stored),
                )
    return SweepSummary(
        folder, len(trials), n_stored, n_skipped, done, failed, time.perf_counter() - t0
    )


def _execute(
    store: SweepStore,
    todo: list[Trial],
    executor: Executor,
    function: TrialFunction,
    reporter: contextlib.AbstractContextManager[ProgressCallback],
) -> tuple[int, int]:
    """Run ``todo`` on the executor, storing each outcome as it arrives."""
    done = failed = 0
    with executor as pool, reporter as report:
        for outcome in pool.run(function, todo):
            if isinstance(outcome, TrialFailure):
                store.write_failure(outcome)
                failed += 1
                first_line = outcome.message.splitlines()[0] if outcome.message else ""
                log.info(
                    "trial %s failed: %s: %s", outcome.trial_id, outcome.error_type, first_line
                )
            else:
                store.write_output(outcome)
                done += 1
            report(done, failed, len(todo) - done - failed)
    return done, failed


def _progress_reporter(
    progress: bool | ProgressCallback, name: str, total: int, stored: int
) -> contextlib.AbstractContextManager[ProgressCallback]:
    if callable(progress):
        return contextlib.nullcontext(progress)
    if progress:
        from slimplace.study.progress import progress_bar

        return progress_bar(name, total, stored)
    return contextlib.nullcontext(_ignore)


def _ignore(done: int, failed: int, remaining: int) -> None:
    return None
