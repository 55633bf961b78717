"""Where trials run: in this process, in local worker processes, or on Ray.

Every executor takes the same plain trial function and yields outcomes
(:class:`~slimplace.study.runner.TrialOutput` or
:class:`~slimplace.study.runner.TrialFailure`) as trials finish, in any order.
At most ``2 x workers`` trials are in flight, so stopping the sweep loses at
most those. Ray is imported only when its executor is entered.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from types import TracebackType
from typing import Any, Literal, Protocol

from slimplace.errors import SlimplaceError
from slimplace.study.lifeline import die_with_parent
from slimplace.study.runner import Outcome, TrialFailure, TrialFunction, call_trial
from slimplace.study.trials import Trial

log = logging.getLogger(__name__)

ExecutorName = Literal["local", "ray", "serial"]


class ExecutorError(SlimplaceError):
    """An executor that cannot start (Ray missing, cluster unreachable)."""


class Executor(Protocol):
    """Runs trials; a context manager that starts and stops its workers."""

    workers: int

    def __enter__(self) -> Executor: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def run(self, function: TrialFunction, trials: Iterable[Trial]) -> Iterator[Outcome]:
        """Yield the outcome of ``function`` on each trial as it finishes."""
        ...


def default_workers() -> int:
    """Worker processes by default: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def make_executor(
    name: ExecutorName = "local", *, workers: int | None = None, address: str | None = None
) -> Executor:
    """The executor called ``name``: ``local`` (processes), ``ray`` or ``serial``;
    ``workers`` (default: every CPU) must be at least 1."""
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        from slimplace.errors import InputError, Problem

        raise InputError("--workers", [Problem("", f"must be at least 1, got {workers}")])
    if name == "local":
        return LocalExecutor(workers=workers)
    if name == "ray":
        return RayExecutor(address=address, num_cpus=workers)
    if name == "serial":
        return SerialExecutor()
    raise ExecutorError(f"unknown executor {name!r}; known: local, ray, serial")


class SerialExecutor:
    """Runs trials one after the other in this process (debugging, tests)."""

    workers = 1

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def run(self, function: TrialFunction, trials: Iterable[Trial]) -> Iterator[Outcome]:
        """Run each trial in turn."""
        for trial in trials:
            yield call_trial(function, trial)


def _noop() -> None:
    return None


#: Modules the fork server imports once, before it forks workers (the first makes the
#: fork server die with the driver: :mod:`slimplace.study.forkserver_guard`).
PRELOAD = ("slimplace.study.forkserver_guard", "numpy", "highspy", "slimplace.study.runner")


def worker_context() -> multiprocessing.context.BaseContext:
    """The start method for worker processes: a fork server with :data:`PRELOAD`
    where the platform has one, else ``spawn`` (never a plain fork: see
    :class:`LocalExecutor`)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(PRELOAD))
        return context
    return multiprocessing.get_context("spawn")


def _start_worker() -> None:
    """Worker initializer: Ctrl-C stops the driver, which stops the pool, so workers
    ignore it; and a worker dies with its parent (:func:`die_with_parent`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()


class LocalExecutor:
    """A pool of local worker processes (:class:`concurrent.futures.ProcessPoolExecutor`).

    Workers come from a fork server (``spawn`` where there is none), never from a
    plain fork of the driver: a driver that has already run HiGHS holds its thread
    pool, and a forked copy of that pool deadlocks in the child (seen as a
    ``compare`` trial that never returns after ``slimplace demo`` solved in the
    driver). The fork server preloads :data:`PRELOAD`, so each worker starts with
    numpy, HiGHS and the trial code imported.
    """

    def __init__(self, *, workers: int | None = None) -> None:
        self.workers = workers or default_workers()
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> LocalExecutor:
        context = worker_context()
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_start_worker
        )
        for f in [self._pool.submit(_noop) for _ in range(self.workers)]:
            f.result()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            if exc[0] is not None:  # interrupted or failed: trials in flight are abandoned
                _terminate_workers(self._pool)
            self._pool.shutdown(wait=exc[0] is None, cancel_futures=True)
            self._pool = None

    def run(self, function: TrialFunction, trials: Iterable[Trial]) -> Iterator[Outcome]:
        """Submit trials as workers free up; yield outcomes as they complete."""
        pool = self._pool
        if pool is None:
            raise ExecutorError("LocalExecutor.run outside its `with` block")
        todo = iter(trials)
        pending: dict[Future[Outcome], Trial] = {}

        def fill() -> None:
            while len(pending) < 2 * self.workers:
                trial = next(todo, None)
                if trial is None:
                    return
                pending[pool.submit(call_trial, function, trial)] = trial

        fill()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                trial = pending.pop(future)
                yield _result(future, trial)
            fill()


def _terminate_workers(pool: ProcessPoolExecutor) -> None:
    """Stop the pool's workers now, mid-trial (the pool has no public call for it
    before Python 3.14; its ``_processes`` maps pid to process)."""
    terminate = getattr(pool, "terminate_workers", None)
    if callable(terminate):
        terminate()
        return
    processes = dict(getattr(pool, "_processes", None) or {})
    for process in processes.values():
        if process.is_alive():
            process.terminate()


def _result(future: Future[Outcome], trial: Trial) -> Outcome:
    exc = future.exception()
    if exc is None:
        return future.result()
    from concurrent.futures.process import BrokenProcessPool

    if isinstance(exc, BrokenProcessPool):
        raise ExecutorError(
            f"a worker process died while running trial {trial.trial_id} "
            "(out of memory?); stored trials are kept, rerun to resume"
        ) from exc
    return TrialFailure(trial.trial_id, trial.params_json, type(exc).__name__, str(exc), "")


class RayExecutor:
    """Trials as Ray tasks: on the cluster at ``address``, or on a local Ray instance
    started with ``num_cpus`` CPUs (default: all) and stopped afterwards."""

    def __init__(self, *, address: str | None = None, num_cpus: int | None = None) -> None:
        self.address = address
        self.workers = num_cpus or default_workers()
        self._started = False
        self._remote: Any = None

    def __enter__(self) -> RayExecutor:
        try:
            import ray
        except ImportError:
            raise ExecutorError(
                "the ray executor needs Ray: pip install 'slimplace[ray]'"
            ) from None
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "logging_level": logging.WARNING,
            }
            if self.address is not None:
                kwargs["address"] = self.address
            else:
                kwargs["num_cpus"] = self.workers
            try:
                ray.init(**kwargs)
            except (ConnectionError, RuntimeError) as exc:
                raise ExecutorError(f"could not start or reach Ray: {exc}") from None
            self._started = True
        if self.address is not None:
            self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._remote = ray.remote(num_cpus=1, max_retries=0)(call_trial)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False

    def run(self, function: TrialFunction, trials: Iterable[Trial]) -> Iterator[Outcome]:
        """Submit trials as tasks as others finish; yield outcomes as they complete."""
        import ray

        if self._remote is None:
            raise ExecutorError("RayExecutor.run outside its `with` block")
        todo = iter(trials)
        pending: dict[Any, Trial] = {}
        function_ref = ray.put(function)

        def fill() -> None:
            while len(pending) < 2 * self.workers:
                trial = next(todo, None)
                if trial is None:
                    return
                pending[self._remote.remote(function_ref, trial)] = trial

        fill()
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                trial = pending.pop(ref)
                try:
                    yield ray.get(ref)
                except ray.exceptions.RayError as exc:
                    yield TrialFailure(
                        trial.trial_id, trial.params_json, type(exc).__name__, str(exc), ""
                    )
            fill()
