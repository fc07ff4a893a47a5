"""The state machine: tables of rounds in, states out (no I/O)."""

from __future__ import annotations

import pytest

from network_inventory.state import (
    Health,
    Observation,
    Policy,
    SiteFacts,
    State,
    Track,
    evaluate,
    order_sites,
    round_health,
    step_health,
)

POLICY = Policy(loss_degraded=0.2, rtt_degraded_ms=500, down_rounds=3, up_rounds=2)
OK = Observation(5, 5, 10.0)
LOSSY = Observation(5, 3, 10.0)  # 40 % loss
SLOW = Observation(5, 5, 800.0)
FAIL = Observation(5, 0, None)

U, DG, DN, UK = State.UP, State.DEGRADED, State.DOWN, State.UNKNOWN


@pytest.mark.parametrize(
    ("obs", "expected"),
    [
        (OK, U),
        (LOSSY, DG),
        (SLOW, DG),
        (FAIL, DN),
        (Observation(5, 4, 499.9), DG),  # 20 % loss is the threshold itself: degraded
        (Observation(10, 9, 10.0), U),
        (Observation(0, 0, None), DN),
    ],
)
def test_round_health(obs: Observation, expected: State) -> None:
    assert round_health(obs, POLICY) is expected


@pytest.mark.parametrize(
    ("rounds", "states"),
    [
        # first answer decides at once; failures need 3 rounds; recovery needs 2
        ([OK, FAIL, FAIL, FAIL, OK, OK], [U, U, U, DN, DN, U]),
        # flapping every other round never goes down
        ([OK, FAIL, OK, FAIL, OK, FAIL, OK], [U] * 7),
        # a single good round inside an outage does not bring it back
        ([FAIL, FAIL, FAIL, OK, FAIL, OK, OK], [UK, UK, DN, DN, DN, DN, U]),
        # degraded needs 3 degraded rounds, back to up needs 2 clean ones
        ([OK, LOSSY, LOSSY, LOSSY, OK, LOSSY, OK, OK], [U, U, U, DG, DG, DG, DG, U]),
        # slow counts as degraded too
        ([SLOW, SLOW], [DG, DG]),
        # coming back from down into a lossy link shows DEGRADED
        ([FAIL, FAIL, FAIL, LOSSY, LOSSY], [UK, UK, DN, DN, DG]),
    ],
)
def test_flap_suppression(rounds: list[Observation], states: list[State]) -> None:
    health = Health()
    seen = []
    for obs in rounds:
        health = step_health(health, obs, POLICY)
        seen.append(health.state)
    assert seen == states


def _facts(site: int, parents: tuple[int, ...] = (), **kw: bool) -> SiteFacts:
    return SiteFacts(site, parents, kw.get("planned", False), kw.get("maintenance", False))


def _run(
    facts: list[SiteFacts], rounds: list[dict[int, Observation]], policy: Policy = POLICY
) -> list[dict[int, State]]:
    tracks: dict[int, Track] = {}
    out = []
    for i, obs in enumerate(rounds):
        tracks = evaluate(facts, tracks, obs, policy, now=1000.0 + i)
        out.append({sid: t.shown for sid, t in tracks.items()})
    return out


TREE = [_facts(1), _facts(2, (1,)), _facts(3, (2,)), _facts(4, (2,))]
"""1 regency office, 2 a kecamatan, 3 and 4 its villages."""


def test_children_of_a_cut_kecamatan_are_unreachable_not_down() -> None:
    up = {1: OK, 2: OK, 3: OK, 4: OK}
    cut = {1: OK, 2: FAIL, 3: FAIL, 4: FAIL}
    states = _run(TREE, [up, cut, cut, cut, cut])
    assert states[0] == {1: U, 2: U, 3: U, 4: U}
    assert states[1] == {1: U, 2: U, 3: U, 4: U}  # not yet: flap suppression
    assert states[3] == {1: U, 2: DN, 3: State.UNREACHABLE, 4: State.UNREACHABLE}
    assert states[4] == states[3]


def test_a_child_that_answers_behind_a_down_parent_shows_its_own_state() -> None:
    cut = {1: OK, 2: FAIL, 3: OK, 4: FAIL}
    states = _run(TREE, [cut] * 3)
    assert states[2] == {1: U, 2: DN, 3: U, 4: State.UNREACHABLE}


def test_a_backup_uplink_keeps_a_village_its_own_outage() -> None:
    facts = [_facts(1), _facts(2, (1,)), _facts(5, (1,)), _facts(3, (2, 5))]
    cut = {1: OK, 2: FAIL, 5: OK, 3: FAIL}
    states = _run(facts, [cut] * 3)
    assert states[2][3] is DN  # its other parent is up: the village itself is down


def test_unreachable_propagates_down_the_tree() -> None:
    cut = {1: FAIL, 2: FAIL, 3: FAIL, 4: FAIL}
    states = _run(TREE, [cut] * 3)
    assert states[2] == {1: DN, 2: State.UNREACHABLE, 3: State.UNREACHABLE, 4: State.UNREACHABLE}


def test_recovery_of_the_parent_brings_children_back() -> None:
    cut = {1: OK, 2: FAIL, 3: FAIL, 4: FAIL}
    up = {1: OK, 2: OK, 3: OK, 4: OK}
    states = _run(TREE, [cut, cut, cut, up, up])
    assert states[3][2] is DN  # one good round is not enough
    assert states[3][3] is State.UNREACHABLE  # its parent still counts as down
    assert states[4] == {1: U, 2: U, 3: U, 4: U}


@pytest.mark.parametrize(
    ("facts", "obs", "expected"),
    [
        (_facts(2, (1,), planned=True), OK, State.PLANNED),
        (_facts(2, (1,), planned=True), FAIL, State.PLANNED),
        (_facts(2, (1,), maintenance=True), FAIL, State.MAINTENANCE),
        (_facts(2, (1,), maintenance=True), OK, State.MAINTENANCE),
        (_facts(2, (1,)), None, State.UNKNOWN),  # active uplink, nothing probed
    ],
)
def test_planned_and_maintenance(
    facts: SiteFacts, obs: Observation | None, expected: State
) -> None:
    rounds = [{1: OK, **({2: obs} if obs else {})}] * 3
    assert _run([_facts(1), facts], rounds)[-1][2] is expected


def test_maintenance_still_measures_for_the_children() -> None:
    facts = [_facts(1), _facts(2, (1,), maintenance=True), _facts(3, (2,))]
    cut = {1: OK, 2: FAIL, 3: FAIL}
    tracks: dict[int, Track] = {}
    for i in range(3):
        tracks = evaluate(facts, tracks, cut, POLICY, now=float(i))
    assert tracks[2].shown is State.MAINTENANCE
    assert tracks[2].effective is DN
    assert tracks[3].shown is State.UNREACHABLE


def test_since_changes_only_with_the_shown_state() -> None:
    tracks: dict[int, Track] = {}
    facts = [_facts(1)]
    tracks = evaluate(facts, tracks, {1: OK}, POLICY, now=10.0)
    tracks = evaluate(facts, tracks, {1: OK}, POLICY, now=20.0)
    assert tracks[1].since == 10.0
    for now in (30.0, 40.0, 50.0):
        tracks = evaluate(facts, tracks, {1: FAIL}, POLICY, now=now)
    assert (tracks[1].shown, tracks[1].since) == (DN, 50.0)


def test_order_sites_puts_parents_first() -> None:
    parent_of: dict[int, int | None] = {5: 2, 2: 1, 1: None, 3: 2, 9: 7, 7: 9}
    order = order_sites(parent_of)
    assert order[:4] == [1, 2, 3, 5]
    assert sorted(order) == sorted(parent_of)  # the 7<->9 cycle is still listed
