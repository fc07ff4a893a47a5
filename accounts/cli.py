"""``pendopo user add|passwd|disable|enable|signout|list`` — manage accounts from a shell.

Passwords are never taken from the command line (other users of the machine could read them
in the process list): they are asked for on the terminal, read from stdin with
``--password-stdin``, or generated and printed once.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from accounts import audit
from accounts.model import AccountRole
from accounts.passwords import generate_password
from accounts.schema import COMPONENT
from accounts.store import AccountError, AccountStore
from pendopo.cli_common import command, run_async
from pendopo.config import Settings
from pendopo.db import Then
from pendopo.db_choice import database_for

ACTIONS = ("add", "passwd", "disable", "enable", "signout", "list")


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=ACTIONS)
    parser.add_argument("username", nargs="?")
    parser.add_argument(
        "--role", choices=[r.value for r in AccountRole], default=AccountRole.HOST.value
    )
    parser.add_argument("--display-name", default=None)
    parser.add_argument("--site-code", default=None, help="site code of a site account")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    parser.add_argument(
        "--generate", action="store_true", help="generate a password and print it once"
    )


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """The new password and whether it was generated (then it is printed)."""
    if args.generate:
        return generate_password(), True
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    if sys.stdin.isatty():
        first = getpass.getpass("New password: ")
        if first != getpass.getpass("Again: "):
            raise AccountError("mismatch", "The two passwords differ.")
        return first, False
    return generate_password(), True


def _audited(action: str, username: str) -> Then:
    """The CLI's audit record of a change, written in the change's transaction."""
    return lambda conn, _: audit.write(conn, action, actor="cli", target=username)


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    db = database_for(settings)
    db.open([COMPONENT])
    try:
        store = AccountStore(db)
        if args.action == "list":
            for u in await store.list_users():
                state = "disabled" if u.disabled else "active"
                print(f"{u.username}\t{u.role.value}\t{u.site_code or '-'}\t{state}")
            return 0
        if not args.username:
            raise AccountError("invalid_username", "Give a username.")
        if args.action == "add":
            password, generated = _password(args)
            user = await store.create_user(
                args.username,
                password,
                AccountRole(args.role),
                display_name=args.display_name,
                site_code=args.site_code,
                then=_audited("user.create", args.username),
            )
            print(f"created {user.username} ({user.role.value})")
        else:
            user_or_none = await store.get_user_by_name(args.username)
            if user_or_none is None:
                raise AccountError("no_such_user", f"There is no user {args.username!r}.")
            user = user_or_none
            generated, password = False, ""
            action = {"passwd": "user.password_reset", "signout": "user.sign_out_everywhere"}
            then = _audited(action.get(args.action, f"user.{args.action}"), user.username)
            if args.action == "passwd":
                password, generated = _password(args)
                await store.set_password(user.id, password, then=then)
            elif args.action in ("disable", "enable"):
                await store.set_disabled(user.id, args.action == "disable", then=then)
            else:
                await store.end_all_sessions(user.id, then=then)
            print(f"{args.action}: {user.username}")
        if generated:
            print(f"password (shown once): {password}")
        return 0
    finally:
        db.close()


@command("user", "manage user accounts: add, passwd, disable, enable, signout, list", _arguments)
def user_command(settings: Settings, args: argparse.Namespace) -> int:
    try:
        result: int = run_async(_run(settings, args))
    except AccountError as exc:
        print(f"pendopo user: {exc.message}", file=sys.stderr)
        return 1
    return result
