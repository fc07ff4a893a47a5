"""The state machine: tables of rounds in, states out (no I/O)."""

from __future__ import annotations

from dataclasses import replace

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
        # slow counts as degraded too; a first round shows UP: degraded takes 3 rounds
        ([SLOW, SLOW, SLOW], [U, U, DG]),
        ([LOSSY, OK, LOSSY, LOSSY, LOSSY], [U, U, U, U, DG]),
        # a check's lost echo (answered, reach only) never judges quality
        ([replace(LOSSY, reach_only=True)] * 4, [U] * 4),
        # coming back from down into a lossy link shows DEGRADED
        ([FAIL, FAIL, FAIL, LOSSY, LOSSY], [UK, UK, DN, DN, DG]),
        # ... but reach rounds only say it answers again (lost echoes: ARP, not quality)
        (
            [
                OK,
                FAIL,
                FAIL,
                FAIL,
                replace(LOSSY, reach_only=True),
                replace(LOSSY, reach_only=True),
            ],
            [U, U, U, DN, DN, U],
        ),
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


def test_villages_counting_their_third_failure_before_the_kecamatan_wait_for_it() -> None:
    """A sweep probed the villages after the cut and the kecamatan before it: the villages
    reach three failed rounds one pass before the kecamatan. They are not DOWN on their own
    (one grouped village alert, then the kecamatan's): they wait, then are UNREACHABLE."""
    up = {1: OK, 2: OK, 3: OK, 4: OK}
    villages_only = {1: OK, 3: FAIL, 4: FAIL}  # a sweep's late rounds: the kecamatan's was early
    cut = {1: OK, 2: FAIL, 3: FAIL, 4: FAIL}
    states = _run(TREE, [up, villages_only, cut, cut, cut])
    assert [s[3] for s in states] == [U, U, U, U, State.UNREACHABLE]
    assert states[3][3] is U  # third failure, the kecamatan's second: waits
    assert states[4] == {1: U, 2: DN, 3: State.UNREACHABLE, 4: State.UNREACHABLE}


def test_villages_recovering_a_round_after_the_kecamatan_stay_unreachable_until_up() -> None:
    cut = {1: OK, 2: FAIL, 3: FAIL, 4: FAIL}
    kecamatan_first = {1: OK, 2: OK}  # the villages' rounds come in the next pass
    up = {1: OK, 2: OK, 3: OK, 4: OK}
    states = _run(TREE, [cut, cut, cut, kecamatan_first, up, up])
    assert [s[2] for s in states[3:]] == [DN, U, U]
    assert [s[3] for s in states[3:]] == [State.UNREACHABLE, State.UNREACHABLE, U]  # never DOWN


def test_a_village_down_under_an_answering_kecamatan_is_its_own_outage() -> None:
    village_cut = {1: OK, 2: OK, 3: FAIL, 4: OK}
    assert _run(TREE, [village_cut] * 3)[2][3] is DN


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


# -- flapping: rounds at given times (an injected clock), states stay true, alerts are held --

Round = tuple[float, Observation | None]
"""(time, this site's round at that time; None: a pass that did not probe it)."""


def _down(t: float) -> list[Round]:
    return [(t, FAIL), (t + 1, FAIL), (t + 2, FAIL)]  # DOWN at t + 2


def _up(t: float, obs: Observation = OK) -> list[Round]:
    return [(t, obs), (t + 1, obs)]  # UP at t + 1 (from DOWN)


def _lossy(t: float) -> list[Round]:
    return [(t, LOSSY), (t + 1, LOSSY), (t + 2, LOSSY)]  # DEGRADED at t + 2


def _quiet(start: float, end: float, obs: Observation | None = OK) -> list[Round]:
    return [(float(t), obs) for t in range(int(start), int(end), 10)]


def _flapping(periods: int, start: float = 40.0) -> list[Round]:
    """Down 20 s, up 20 s, ``periods`` times (a link flapping every 40 s)."""
    rounds: list[Round] = []
    for k in range(periods):
        rounds += _down(start + 40 * k) + _up(start + 40 * k + 20)
    return rounds


def step_alerting(
    tracks: dict[int, Track], rnd: Round, policy: Policy = POLICY
) -> tuple[dict[int, Track], list[str]]:
    """One round of site 1 through the state machine and the alert plan: the new tracks and
    the alerts, as ``kind`` or ``kind/flapping``."""
    from network_inventory.alerts import alert_payload, plan_alerts, transitions

    now, obs = rnd
    observed = {1: replace(obs, at=now)} if obs is not None else {}
    new = evaluate([_facts(1)], tracks, observed, policy, now=now)
    plans, _ = plan_alerts(transitions(tracks, new), {1: []})
    alerts = []
    for plan in plans:
        body = alert_payload(plan, {}, at=now, measurements={}, flap_rule=policy.flap_rule)
        alerts.append(body["kind"] + (f"/{body['flapping']}" if "flapping" in body else ""))
    return new, alerts


def _alerts_of(rounds: list[Round], policy: Policy = POLICY) -> tuple[list[str], list[Track]]:
    """Feed one site's rounds through the state machine and the alert plan: the alerts, as
    ``kind`` or ``kind/flapping``, and the site's track after each round."""
    tracks: dict[int, Track] = {}
    alerts: list[str] = []
    seen: list[Track] = []
    for rnd in rounds:
        tracks, told = step_alerting(tracks, rnd, policy)
        alerts += told
        seen.append(tracks[1])
    return alerts, seen


FLAP_CASES = {
    "one outage and its recovery": (
        [(0.0, OK), *_down(10), *_up(30), *_quiet(40, 400)],
        ["down", "up"],
    ),
    "two outages further apart than the window": (
        [(0.0, OK), *_down(10), *_up(30), *_down(200), *_up(220), *_quiet(230, 400)],
        ["down", "up", "down", "up"],
    ),
    "a link flapping every 40 s, ten times, then steady": (
        [(0.0, OK), *_flapping(10), *_quiet(440, 700)],
        ["down", "up", "down/started", "up/ended"],
    ),
    "a link flapping twenty times: still one alert about it": (
        [(0.0, OK), *_flapping(20), *_quiet(840, 1100)],
        ["down", "up", "down/started", "up/ended"],
    ),
    "flapping, then down for good: the end says it is still down": (
        [(0.0, OK), *_flapping(4), *_down(200), *_quiet(210, 400, FAIL)],
        ["down", "up", "down/started", "down/ended"],
    ),
    "quality flapping between UP and DEGRADED": (
        [
            (0.0, OK),
            *_lossy(10),
            *_up(20),
            *_lossy(40),
            *_up(50),
            *_lossy(70),
            *_up(80),
            *_quiet(90, 300),
        ],
        ["degraded", "up", "degraded/started", "up/ended"],
    ),
    "a flapping site settles only after the hold without a change": (
        [(0.0, OK), *_flapping(3), *_quiet(160, 270)],  # last change at 141: 261 is too soon
        ["down", "up", "down/started"],
    ),
}


@pytest.mark.parametrize(("rounds", "alerts"), FLAP_CASES.values(), ids=FLAP_CASES.keys())
def test_flapping_is_told_once(rounds: list[Round], alerts: list[str]) -> None:
    assert _alerts_of(rounds)[0] == alerts


def test_a_flapping_site_shows_its_true_state() -> None:
    rounds = [(0.0, OK), *_flapping(3)]
    _, seen = _alerts_of(rounds)
    shown = [t.shown for t in seen]
    assert shown[-5:] == [U, U, DN, DN, U]  # the third flap: down, then up again, seen
    assert [t.flapping for t in seen][:8] == [False] * 8  # down, up: not yet flapping
    assert seen[8].flapping  # down again: the third change
    assert seen[-1].flapping


def test_the_flap_rule_is_the_policys() -> None:
    rounds = [(0.0, OK), *_flapping(3), *_quiet(160, 300)]
    relaxed = replace(POLICY, flap_changes=7)  # six changes in three flaps: never flapping
    assert _alerts_of(rounds, relaxed)[0] == ["down", "up"] * 3


def test_villages_behind_a_flapping_kecamatan_are_not_flapping_themselves() -> None:
    up = {1: OK, 2: OK, 3: OK}
    cut = {1: OK, 2: FAIL, 3: FAIL}
    facts = TREE[:3]
    tracks: dict[int, Track] = {}
    for now in range(0, 200):
        period = now % 40
        tracks = evaluate(facts, tracks, cut if 10 <= period < 30 else up, POLICY, now=now)
    assert tracks[2].flapping
    assert not tracks[3].flapping  # UP <-> UNREACHABLE: its parent's outages, not its own


def test_a_village_down_while_its_kecamatan_flaps_is_unreachable_until_it_is_stable() -> None:
    facts = TREE[:3]
    tracks: dict[int, Track] = {}
    for now in range(0, 200):  # the kecamatan flaps every 40 s
        cut = 10 <= now % 40 < 30
        tracks = evaluate(facts, tracks, {1: OK, 2: FAIL if cut else OK, 3: FAIL}, POLICY, now=now)
    assert tracks[2].flapping and tracks[2].shown is U
    assert tracks[3].shown is State.UNREACHABLE  # not a village alert while it flaps
    for now in range(200, 400):  # the kecamatan steady: the village's outage is its own
        tracks = evaluate(facts, tracks, {1: OK, 2: OK, 3: FAIL}, POLICY, now=now)
    assert not tracks[2].flapping
    assert tracks[3].shown is DN
