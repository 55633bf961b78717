"""Worker processes that die with the sweep driver.

A sweep's local workers come from a fork server the driver starts. If the driver
is killed (SIGKILL gives it no chance to clean up), the fork server and the
workers must not run on: on Linux each asks the kernel to send it SIGKILL when
its parent dies (``prctl(PR_SET_PDEATHSIG)``, prctl(2)): the fork server when
the driver dies, each worker when the fork server dies. Elsewhere nothing is
done (the fork server still exits when the driver's end of its pipe closes).

The kernel's "parent" is the thread that started the process: a fork server
started from a thread that ends is killed with it, and multiprocessing starts a
new one for the next pool (it checks that the server is alive), so a sweep run
from a thread works as long as that thread runs, which it does for the sweep.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys

log = logging.getLogger(__name__)

#: ``PR_SET_PDEATHSIG`` of ``<linux/prctl.h>``.
PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGKILL) -> bool:
    """Have the kernel send ``sig`` to this process when its parent dies (Linux);
    True if that is arranged. A parent already gone by then kills the process now."""
    if not sys.platform.startswith("linux"):
        return False
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        failed = libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0
    except (OSError, AttributeError):
        failed = True
    if failed:
        log.debug("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
        return False
    if os.getppid() != parent:  # the parent died before the request took effect
        os.kill(os.getpid(), sig)
    return True


def in_fork_server() -> bool:
    """Whether this code runs in :mod:`multiprocessing.forkserver`'s server loop (it
    imports its preload modules from ``main``)."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__") == "multiprocessing.forkserver" and (
            frame.f_code.co_name == "main"
        ):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False
