"""What every ``pendopo`` subcommand builds on: the command registry and an async runner.

Below the packages that own subcommands (accounts/cli.py, network_inventory/cli.py, ...), so
they register theirs without importing ``pendopo.cli``, the top, which serves the whole app.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from typing import Any

from pendopo.config import Settings

Command = Callable[[Settings, argparse.Namespace], int]
# name -> (help, add_arguments, run); packages register theirs with ``command``.
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Command]] = {}


def command(
    name: str, help: str, arguments: Callable[[argparse.ArgumentParser], None] | None = None
) -> Callable[[Command], Command]:
    def wrap(fn: Command) -> Command:
        COMMANDS[name] = (help, arguments or (lambda p: None), fn)
        return fn

    return wrap


def run_async(coro: Any) -> Any:
    """Helper for subcommands that do async work."""
    return asyncio.run(coro)
