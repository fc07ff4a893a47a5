"""The OpenAPI document says what the server does: schemathesis against ``/api/openapi.json``.

A real server process (``pendopo run`` on loopback); for every role of ``accounts.AccountRole``
and for an anonymous client, schemathesis generates requests for every documented operation from the
document itself (bounded: a few examples per operation, no shrinking, a time budget) and checks
each answer: no 5xx, a status code the document lists for the operation, the documented content
type, and a body matching the documented schema. Any failure fails the test, naming the
operation, the role and the request (as a curl command).

Operations that end the caller's own session run only anonymously (``SESSION_ENDERS``), and
user-management operations aim at a throw-away account, so the run does not sign itself out.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis.strategies import SearchStrategy
from schemathesis import APIOperation, Case, checks
from schemathesis.core.failures import Failure, FailureGroup

from accounts import AccountRole
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER
from tests.scaling.nodes import Node, start_node

EXAMPLES = 4
"""Generated requests per operation and role."""
BUDGET_S = 30.0
"""Stop generating once the whole run took this long (the last operations get fewer)."""
PASSWORD = "kata-sandi-uji-123"
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
SESSION_ENDERS = {("DELETE", "/api/session"), ("DELETE", "/api/sessions")}
"""They would end the session the rest of the run signs in with."""
SIGN_IN = ("POST", "/api/session")
"""scrypt per attempt and a lockout after 20 failures per address: anonymous only."""


@dataclass
class Caller:
    role: str
    http: requests.Session
    failures: list[str] = field(default_factory=list)


def _sign_in(url: str, username: str, password: str) -> requests.Session:
    http = requests.Session()
    resp = http.post(f"{url}/api/session", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    http.headers["X-CSRF-Token"] = resp.json()["csrf_token"]
    return http


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    tmp: Path = tmp_path_factory.mktemp("openapi")
    running = start_node("openapi", tmp / "data", None, tmp)
    try:
        asyncio.run(running.wait_ready())
        yield running
    finally:
        running.stop()


def _callers(url: str) -> tuple[list[Caller], int]:
    admin = _sign_in(url, ADMIN_USER, ADMIN_PASSWORD)
    callers = [Caller("anonymous", requests.Session()), Caller("admin", admin)]
    for role in AccountRole:
        if role is AccountRole.ADMIN:
            continue
        body = {"username": f"uji-{role.value}", "role": role.value, "password": PASSWORD}
        if role is AccountRole.SITE:
            body["site_code"] = "33.14.01"
        resp = admin.post(f"{url}/api/admin/users", json=body)
        assert resp.status_code == 201, resp.text
        callers.append(Caller(role.value, _sign_in(url, body["username"], PASSWORD)))
    spare = admin.post(f"{url}/api/admin/users", json={"username": "uji-buang", "role": "viewer"})
    assert spare.status_code == 201, spare.text
    return callers, int(spare.json()["user"]["id"])


def _run(operation: APIOperation, caller: Caller, url: str, spare: int, n: int) -> None:
    """The document's own examples first (they reach the success paths), then ``n`` generated
    requests."""
    for strategy in operation.get_strategies_from_examples():
        _check(operation, strategy, caller, url, spare, 1)
    _check(operation, operation.as_strategy(), caller, url, spare, n)


def _check(
    operation: APIOperation,
    strategy: SearchStrategy[Case],
    caller: Caller,
    url: str,
    spare: int,
    n: int,
) -> None:
    if "{user_id}" in operation.path:
        strategy = strategy.map(lambda case: _aim(case, spare))

    @hypothesis.given(case=strategy)
    @hypothesis.settings(
        max_examples=n,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case) -> None:
        # The cookie named explicitly: schemathesis would otherwise make one up for the
        # document's cookie security scheme.
        cookies = {k: v for k, v in caller.http.cookies.items() if k == "pendopo_session"}
        response = case.call(base_url=url, session=caller.http, cookies=cookies, timeout=20)
        try:
            case.validate_response(response, checks=CHECKS)
        except (FailureGroup, Failure) as exc:  # report them all, go on with the next request
            caller.failures.append(
                f"{operation.method.upper()} {operation.path} as {caller.role}: "
                f"{response.status_code} {_first_line(exc)}\n  {response.text[:300]!r}\n  "
                f"{case.as_curl_command()}"
            )

    run()


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, FailureGroup):
        return "; ".join(_first_line(e) for e in exc.exceptions)
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _aim(case: Case, spare: int) -> Case:
    case.path_parameters = {**(case.path_parameters or {}), "user_id": spare}
    return case


@pytest.mark.timeout(240)
def test_every_answer_matches_the_openapi_document(node: Node) -> None:
    started = time.monotonic()
    callers, spare = _callers(node.url)
    schema = schemathesis.openapi.from_url(f"{node.url}/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    # Deletions last, so the examples of the other operations still find their records.
    operations.sort(key=lambda op: (op.method.upper() == "DELETE", op.path, op.method))
    assert len(operations) > 40
    for operation in operations:
        key = (operation.method.upper(), operation.path)
        for caller in callers:
            if caller.role != "anonymous" and (key in SESSION_ENDERS or key == SIGN_IN):
                continue
            left = BUDGET_S - (time.monotonic() - started)
            _run(operation, caller, node.url, spare, EXAMPLES if left > 0 else 1)
    failures = [f for c in callers for f in c.failures]
    # The run itself must not have signed anyone out.
    for caller in callers[1:]:
        me = caller.http.get(f"{node.url}/api/me").json()
        assert me["user"] is not None, caller.role
    for caller in callers:
        caller.http.close()
    kinds = {f.split("\n")[0][:120]: f for f in failures}  # one of each operation/role/answer
    assert not failures, f"{len(failures)} answers differ from the document:\n\n" + "\n\n".join(
        list(kinds.values())[:80]
    )
