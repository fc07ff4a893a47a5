"""Processes left inside a network namespace the project made, ended before it is deleted
(the weak-link lab's browsers and helpers, the Janus benchmark's server)."""

from __future__ import annotations

import os
import signal
import subprocess
import time


def end_processes_in(ns: str) -> None:
    """Whatever still runs inside ``ns``, ended by pid: SIGTERM, then SIGKILL a second later."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        out = subprocess.run(
            ["ip", "netns", "pids", ns], capture_output=True, text=True, check=False
        )
        pids = [int(p) for p in out.stdout.split()]
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        time.sleep(1)
