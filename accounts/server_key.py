"""The server's secret key: signs invite links and derives CSRF tokens.

32 random bytes kept in ``<data_dir>/secret.key`` (created on first start, mode 0600, never in
the repository and never logged). Deleting the file invalidates every invite link and every
page's CSRF token at the next start; sign-in sessions are unaffected.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_FILE = "secret.key"


def load_or_create(data_dir: Path) -> bytes:
    path = data_dir / KEY_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        data_dir.mkdir(parents=True, exist_ok=True)
        text = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(text + "\n")
    key = bytes.fromhex(text)
    if len(key) < 16:
        raise ValueError(f"{path}: the secret key must be at least 16 bytes of hex")
    return key
