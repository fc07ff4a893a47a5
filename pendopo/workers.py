"""``pendopo run --workers N``: N server processes on one machine, one per core.

One event loop uses at most one core (docs/performance.md); a machine with more cores serves
more sessions at once with more processes. The workers are the nodes of the scale-out design
(docs/scaling.md): they share live rooms through Redis, each room is served by one of them,
the durable data is the one database.

- **One address for everyone.** The supervisor (this module, the parent process) binds the
  configured ``listen`` addresses once; every worker inherits them and accepts on them, so the
  kernel hands each new connection (a page, an API call, a socket) to one of the workers.
- **A port of its own.** Worker ``k`` (0-based) also listens on each address's port ``+ 1 + k``
  (8081, 8082, ... for 8080): its node URL, where ``wrong_node`` sends a browser whose socket
  landed on a worker that does not serve its room, and where a page's socket moves when its
  worker dies (docs/scaling.md, "Failover").
- **First start once.** Worker 0 starts alone; the others start when it serves, so the
  database is migrated, the admin account created and the inventory seeded once.
- **One prober.** Only worker 0 probes the links (``probe_enabled``); the others read the
  states it stores (``network_inventory.live.LiveService.follow``).
- **A worker that dies is started again** on its own port after ``RESTART_DELAY``; its rooms
  move to a live worker meanwhile, as a dead node's do. A worker that keeps dying at start-up
  (``FAST_EXITS`` in a row within ``FAST_EXIT_SECONDS``) stops them all.
- **Stopping.** SIGTERM or SIGINT to the supervisor: SIGTERM to every worker (each shuts down
  gracefully, as ``pendopo run`` does), SIGKILL to one that takes longer than ``STOP_SECONDS``.
  A worker gets SIGTERM when the supervisor itself dies (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from pathlib import Path
from types import FrameType

from pendopo.config import Settings
from pendopo.listen import ListenAddress, bind_sockets

log = logging.getLogger(__name__)

Serve = Callable[[Settings, list[socket.socket], Callable[[], None]], None]
"""Runs one worker's server until it is stopped: its settings, every socket it accepts on, and
what to call once it serves."""

READY_SECONDS = 300.0
"""How long worker 0's first start (migrations, seeding) may take before the supervisor gives up."""
RESTART_DELAY = 1.0
FAST_EXITS = 5
FAST_EXIT_SECONDS = 10.0
STOP_SECONDS = 30.0
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Worker:
    index: int
    settings: Settings
    """Its own settings: ``listen`` is its own addresses, then the shared ones."""
    own: tuple[ListenAddress, ...]
    """The addresses only it listens on (bound by the worker itself)."""


def cascade_socket(settings: Settings, index: int) -> Path:
    """Where worker ``index`` (0-based) serves its SFU to the others (media/worker_link.py)."""
    return settings.data_dir / "run" / f"worker-{index + 1}.sock"


def plan(settings: Settings) -> list[Worker]:
    """The workers of ``settings.workers``: each one's own addresses and settings."""
    shared = settings.listen_addresses
    sockets = [str(cascade_socket(settings, i)) for i in range(settings.workers)]
    workers = []
    for index in range(settings.workers):
        own = tuple(dataclasses.replace(a, port=a.port + 1 + index) for a in shared)
        mine = dataclasses.replace(
            settings,
            workers=1,
            # Its own addresses first: its node URL (wrong_node, failover) is on its own port;
            # the shared ones are among its URLs so that a page loaded from them may move its
            # socket to any worker (the origin check, edge/placement.py).
            listen=tuple(str(a) for a in (*own, *shared)),
            node_id=f"{settings.node_id}-{index + 1}" if settings.node_id else None,
            probe_enabled=settings.probe_enabled and index == 0,
            # its own SFU's socket first, then the others': a session spreads over them all
            cascade_sockets=(sockets[index], *sockets[:index], *sockets[index + 1 :]),
        )
        workers.append(Worker(index, mine, own))
    return workers


class Supervisor:
    """Starts the workers, starts again one that dies, stops them all on SIGTERM/SIGINT."""

    def __init__(self, settings: Settings, serve: Serve) -> None:
        self.settings = settings
        self.serve = serve
        self.workers = plan(settings)
        self._context = multiprocessing.get_context("fork")  # the workers inherit the sockets
        self._shared: list[socket.socket] = []
        self._procs: dict[int, multiprocessing.process.BaseProcess] = {}
        self._started: dict[int, float] = {}
        self._fast_exits: dict[int, int] = {}
        self._stopping = False

    def run(self, bound: Callable[[], None] = lambda: None) -> int:
        """Serve until stopped; 0 after a stop, 1 when the workers could not be kept up.
        ``bound`` is called once the shared addresses are bound (OSError when one cannot be)."""
        self._shared = bind_sockets(self.settings.listen_addresses)
        bound()
        previous = {
            sig: signal.signal(sig, self._stop_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            if not self._start_first():
                return 1
            for worker in self.workers[1:]:
                self._start(worker)
            return self._watch()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for sock in self._shared:
                sock.close()

    # -- starting ---------------------------------------------------------------------------
    def _start_first(self) -> bool:
        ready = self._context.Event()
        proc = self._start(self.workers[0], ready)
        deadline = time.monotonic() + READY_SECONDS
        while not ready.wait(0.2):
            if self._stopping:
                return False
            if not proc.is_alive():
                log.error("worker 1 ended before it served (exit code %s)", proc.exitcode)
                return False
            if time.monotonic() > deadline:
                log.error("worker 1 did not serve within %.0f s", READY_SECONDS)
                return False
        return True

    def _start(
        self, worker: Worker, ready: Event | None = None
    ) -> multiprocessing.process.BaseProcess:
        proc = self._context.Process(
            target=_worker_main,
            args=(worker, self._shared, self.serve, ready, os.getpid()),
            name=f"pendopo-worker-{worker.index + 1}",
        )
        proc.start()
        self._procs[worker.index] = proc
        self._started[worker.index] = time.monotonic()
        log.info("worker %d started (pid %s)", worker.index + 1, proc.pid)
        return proc

    # -- watching ---------------------------------------------------------------------------
    def _watch(self) -> int:
        while not self._stopping:
            sentinels = {p.sentinel: i for i, p in self._procs.items()}
            ended = multiprocessing.connection.wait(list(sentinels), timeout=0.5)
            for sentinel in ended:
                index = sentinels[sentinel]  # type: ignore[index]
                if self._stopping:
                    break
                if not self._ended(index):
                    return 1
        return 0

    def _ended(self, index: int) -> bool:
        """A worker ended on its own: start it again; False when it keeps dying at start."""
        proc = self._procs[index]
        proc.join()
        lived = time.monotonic() - self._started[index]
        fast = self._fast_exits.get(index, 0) + 1 if lived < FAST_EXIT_SECONDS else 0
        self._fast_exits[index] = fast
        log.warning(
            "worker %d (pid %s) ended after %.1f s (%s); starting it again",
            index + 1,
            proc.pid,
            lived,
            _how(proc.exitcode),
        )
        if fast >= FAST_EXITS:
            log.error("worker %d ended %d times in a row at start: stopping", index + 1, fast)
            return False
        time.sleep(RESTART_DELAY)
        if not self._stopping:
            self._start(self.workers[index])
        return True

    # -- stopping ---------------------------------------------------------------------------
    def _stop_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True

    def _stop_all(self) -> None:
        self._stopping = True
        alive = [p for p in self._procs.values() if p.is_alive()]
        for proc in alive:
            if proc.pid is not None:
                os.kill(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for proc in alive:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                log.warning("worker pid %s did not stop in %.0f s: killed", proc.pid, STOP_SECONDS)
                proc.kill()
                proc.join()


def _how(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"signal {signal.Signals(-exitcode).name}"
    return f"exit code {exitcode}"


def _worker_main(
    worker: Worker,
    shared: list[socket.socket],
    serve: Serve,
    ready: Event | None,
    supervisor: int,
) -> None:
    """In the worker process: bind its own addresses, serve with the shared ones too."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the supervisor's handlers came with the fork
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _die_with(supervisor)
    own = bind_sockets(worker.own)
    serve(worker.settings, [*shared, *own], ready.set if ready is not None else _nothing)


def _nothing() -> None:
    pass


def _die_with(supervisor: int) -> None:
    """SIGTERM when the supervisor dies (a ``kill -9`` of it must not leave workers serving)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        log.debug("PR_SET_PDEATHSIG is not available", exc_info=True)
    if os.getppid() != supervisor:  # it died before the line above
        os.kill(os.getpid(), signal.SIGTERM)
