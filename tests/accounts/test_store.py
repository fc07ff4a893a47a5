"""Account store: users, passwords, sessions, disabling."""

from __future__ import annotations

import pytest

from accounts import AccountError, AccountRole, AccountStore
from pendopo.db import Database


async def test_sessions_are_hashed_and_end(db: Database) -> None:
    store = AccountStore(db)
    user = await store.create_user("Lurah", "password-1", AccountRole.SITE, site_code="33.14.01")
    s1 = await store.start_session(await store.authenticate("lurah", "password-1"))
    s2 = await store.start_session(user)
    assert s1.token != s2.token
    rows = await db.fetchall("SELECT token_hash FROM auth_sessions")
    assert s1.token not in {r[0] for r in rows}
    assert (await store.user_for_token(s1.token)) == user
    await store.end_session(s1.token)
    assert await store.user_for_token(s1.token) is None
    assert await store.user_for_token(s2.token) == user
    assert await store.end_all_sessions(user.id) == 1
    assert await store.user_for_token(s2.token) is None


async def test_disable_reset_and_errors(db: Database) -> None:
    store = AccountStore(db)
    user = await store.create_user("it1", "password-1", AccountRole.IT)
    session = await store.start_session(user)
    await store.set_disabled(user.id, True)
    assert await store.user_for_token(session.token) is None
    with pytest.raises(AccountError) as info:
        await store.authenticate("it1", "password-1")
    assert info.value.code == "account_disabled"
    await store.set_disabled(user.id, False)
    session = await store.start_session(await store.authenticate("it1", "password-1"))
    await store.set_password(user.id, "password-2")
    assert await store.user_for_token(session.token) is None
    with pytest.raises(AccountError):
        await store.authenticate("it1", "password-1")
    await store.authenticate("it1", "password-2")
    for bad in ("short", "x" * 2000):
        with pytest.raises(AccountError):
            await store.set_password(user.id, bad)
    with pytest.raises(AccountError) as info:
        await store.set_password(9999, "password-3")
    assert info.value.code == "no_such_user"
    with pytest.raises(AccountError) as info:
        await store.create_user("IT1", "password-1", AccountRole.IT)
    assert info.value.code == "username_taken"
    with pytest.raises(AccountError) as info:
        await store.authenticate("nobody", "x" * 5000)
    assert info.value.code == "bad_credentials"
    assert [u.username for u in await store.list_users()] == ["it1"]
