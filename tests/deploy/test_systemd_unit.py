"""deploy/pendopo.service: systemd accepts it, and it starts the installed entry point."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pendopo.cli import COMMANDS, _register_package_commands
from tests.conftest import REPO

DEPLOY = REPO / "deploy"
UNIT = DEPLOY / "pendopo.service"
UNITS = ("pendopo.service", "pendopo-backup.service", "pendopo-backup.timer")
INSTALLED_VENV = "/opt/pendopo/.venv"
"""Where docs/deploy.md puts the virtualenv; the test swaps in this checkout's."""


def _directives(text: str) -> dict[str, list[str]]:
    """``Key=value`` lines of the [Service] section (keys may repeat in systemd units)."""
    found: dict[str, list[str]] = {}
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        found.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return found


def _local_unit(tmp_path: Path, name: str = UNIT.name) -> Path:
    """The unit with ExecStart pointing at this checkout's installed ``pendopo``."""
    venv_bin = Path(sys.executable).parent
    text = (DEPLOY / name).read_text(encoding="utf-8")
    local = tmp_path / name
    local.write_text(text.replace(INSTALLED_VENV + "/bin", str(venv_bin)), encoding="utf-8")
    return local


def test_exec_start_runs_the_installed_entry_point(tmp_path: Path) -> None:
    unit = _directives(UNIT.read_text(encoding="utf-8"))
    (exec_start,) = unit["Service.ExecStart"]
    program, *args = shlex.split(exec_start)
    assert program == f"{INSTALLED_VENV}/bin/pendopo"
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts[Path(program).name] == "pendopo.cli:main"
    _register_package_commands()
    assert args and args[0] in COMMANDS, f"{args} is not a pendopo subcommand"
    local = _directives(_local_unit(tmp_path).read_text())["Service.ExecStart"][0]
    assert Path(shlex.split(local)[0]).is_file(), "this checkout has no installed pendopo script"
    backup = _directives((DEPLOY / "pendopo-backup.service").read_text())["Service.ExecStart"]
    assert f"exec {INSTALLED_VENV}/bin/pendopo backup " in backup[0]
    assert "backup" in COMMANDS


def test_unit_keeps_what_the_service_needs() -> None:
    unit = _directives(UNIT.read_text(encoding="utf-8"))
    assert unit["Service.User"] == ["pendopo"]
    assert unit["Service.Restart"] == ["on-failure"]
    assert unit["Service.EnvironmentFile"] == ["-/etc/pendopo/pendopo.env"]
    # The prober opens raw ICMP sockets: the capability must be granted and not bounded away.
    for key in ("Service.AmbientCapabilities", "Service.CapabilityBoundingSet"):
        assert "CAP_NET_RAW" in " ".join(unit[key]).split(), key
    families = " ".join(unit["Service.RestrictAddressFamilies"]).split()
    assert {"AF_INET", "AF_INET6", "AF_NETLINK"} <= set(families)
    assert unit["Service.WorkingDirectory"] == ["/var/lib/pendopo"]
    assert "Service.MemoryDenyWriteExecute" not in unit


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="Debian package systemd")
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    local = [_local_unit(tmp_path, name) for name in UNITS]
    units = sorted(p.name for p in DEPLOY.iterdir() if p.is_file())  # not grafana/, prometheus/
    assert units == sorted(UNITS), "a unit is not verified"
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *map(str, local)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # verify exits 0 even for unknown keys or bad values: it warns on stderr, so both must be clean.
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr
    security = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", str(local[0])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if "Overall exposure" in security.stdout:
        level = re.search(r"Overall exposure level for \S+: ([\d.]+)", security.stdout)
        assert level is not None, security.stdout[-500:]
        assert float(level.group(1)) <= 3.0, security.stdout


def _syscalls(group: str, seen: set[str] | None = None) -> set[str]:
    """The system calls of a ``SystemCallFilter=`` group, nested groups expanded."""
    seen = set() if seen is None else seen
    out = subprocess.run(
        ["systemd-analyze", "syscall-filter", group], capture_output=True, text=True, timeout=60
    ).stdout
    calls: set[str] = set()
    for line in out.splitlines()[1:]:
        name = line.strip()
        if not name or name.startswith("#"):
            continue
        if name.startswith("@"):
            if name not in seen:
                seen.add(name)
                calls |= _syscalls(name, seen)
        else:
            calls.add(name)
    return calls


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="Debian package systemd")
def test_system_call_filter_keeps_what_probes_and_media_use() -> None:
    """Raw ICMP and UDP media need socket/sendto/recvfrom/setsockopt; interface lists, netlink."""
    unit = _directives(UNIT.read_text(encoding="utf-8"))
    allowed: set[str] = set()
    for group in " ".join(unit["Service.SystemCallFilter"]).split():
        allowed |= _syscalls(group) if group.startswith("@") else {group}
    needed = {"socket", "bind", "connect", "sendto", "recvfrom", "sendmsg", "recvmsg"}
    needed |= {"setsockopt", "getsockopt", "epoll_wait", "clone3", "mmap"}
    assert needed <= allowed, needed - allowed


PROBE_SOCKET = (
    "from network_inventory.probing.icmp import open_socket\n"
    "sock, name = open_socket('raw')\n"
    "print(name)\n"
)


def _closed_to_others(path: Path) -> Path | None:
    """The first folder on the way to ``path`` that other users cannot enter or read (the
    service user, nobody, must import the checkout's code), or None."""
    for folder in [*reversed(path.parents), path]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH or (folder == path and not mode & stat.S_IROTH):
            return folder
    return None


def _as_service_user(caps: list[str]) -> subprocess.CompletedProcess[str]:
    """Python as an unprivileged user holding exactly ``caps`` (ambient, bounded, no new
    privileges): what systemd makes of the unit's capability lines."""
    names = ",".join("+" + c.lower().removeprefix("cap_") for c in caps)
    args = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--no-new-privs"]
    if names:
        args += [f"--inh-caps={names}", f"--ambient-caps={names}"]
    args += [f"--bounding-set=-all{',' + names if names else ''}"]
    return subprocess.run(
        [*args, sys.executable, "-c", PROBE_SOCKET],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


@pytest.mark.skipif(
    shutil.which("setpriv") is None or sys.platform != "linux", reason="util-linux setpriv"
)
def test_the_units_capabilities_open_the_probers_raw_icmp_socket() -> None:
    if os.geteuid() != 0:
        pytest.skip("setpriv needs root to change user and capabilities")
    closed = _closed_to_others(REPO.resolve())
    if closed is not None:  # e.g. a clone inside `mktemp -d` (mode 700)
        pytest.skip(f"the service user (nobody) cannot read the checkout: {closed} is closed")
    unit = _directives(UNIT.read_text(encoding="utf-8"))
    caps = " ".join(unit["Service.AmbientCapabilities"]).split()
    granted = _as_service_user(caps)
    assert granted.returncode == 0, granted.stderr[-1000:]
    assert granted.stdout.strip() == "icmp-raw"
    refused = _as_service_user([])  # the control: without them the same user gets no raw socket
    assert refused.returncode != 0 and "privileges" in refused.stderr.lower(), refused.stderr
