"""The repository stands alone: no file points outside it, at a folder beside the clone or at a
path of the machine it was developed on (a clone elsewhere would not have them)."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Built from pieces, so that this file does not contain what it looks for.
FORBIDDEN = ("../" + "shared", "/" + "work" + "/")


def tracked_files() -> list[Path]:
    """The repository's files: ``git ls-files`` (committed or new, not ignored); outside a git
    checkout (a source archive), every file but hidden and generated ones."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        skip = (".", "__pycache__")
        return [
            p
            for p in REPO.rglob("*")
            if p.is_file()
            and not any(part.startswith(skip) or part.endswith(".egg-info") for part in
                        p.relative_to(REPO).parts)
        ]  # fmt: skip
    return [REPO / name for name in out.decode().split("\0") if name]


def test_no_file_points_outside_the_repository() -> None:
    files = tracked_files()
    assert Path(__file__) in files
    found = []
    for path in files:
        if not path.is_file():  # deleted in the work tree, not yet committed
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            found += [f"{path.relative_to(REPO)}:{number}: {line.strip()}"
                      for bad in FORBIDDEN if bad in line]  # fmt: skip
    assert found == [], "\n".join(found)
