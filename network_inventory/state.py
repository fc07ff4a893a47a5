"""Site state: a pure state machine, evaluated once per sweep, parents before children.

Three layers:

* **health** — what a site's own measurements say: UNKNOWN until the first answered round
  (then UP), DOWN only after ``down_rounds`` consecutive failed rounds, back up only after
  ``up_rounds`` consecutive answered rounds; DEGRADED (loss or median RTT over the site's
  ``Limits``) after ``down_rounds`` degraded rounds, UP again after ``up_rounds`` clean ones.
* **flapping** (``network_inventory.flapping``) — the ``flap_changes``-th change of the measured
  state between UP, DEGRADED and DOWN within ``flap_window_s`` makes a site flapping until it
  has not changed for ``flap_hold_s``. The states stay true; only the alerts are held.
* **shown state** — what people see: PLANNED (no active uplink: not probed, not alerted),
  MAINTENANCE (a staff window: probed, not alerted), UNREACHABLE (the site does not answer and
  every parent it has an active uplink to is itself down or unreachable: never its own outage),
  otherwise the health — except that a site DOWN whose parents have all just failed a round
  too keeps its previous state until they are decided, and so does one UNREACHABLE that
  answers again (its recovery, one round behind its parent's); a site DOWN whose parents are
  all flapping is UNREACHABLE.

Nothing here does I/O: ``evaluate`` takes the previous tracks and this sweep's observations and
returns the new tracks (tests are tables of inputs and expected states).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from network_inventory import flapping
from network_inventory.flapping import Flap


class State(enum.StrEnum):
    UNKNOWN = "unknown"
    """Active uplink but no answered round yet (or no enabled probe target)."""
    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"
    UNREACHABLE = "unreachable"
    PLANNED = "planned"
    MAINTENANCE = "maintenance"


OUT = frozenset({State.DOWN, State.UNREACHABLE})
"""Effective states of a site its children cannot be reached through."""
JUDGED = frozenset({State.UP, State.DEGRADED, State.DOWN})
"""Measured states whose changes are a site's own (and count towards flapping)."""


@dataclass(frozen=True)
class Limits:
    """A site's degradation thresholds (its link's baseline: ``network_inventory.thresholds``)."""

    loss_degraded: float
    """Loss ratio (0..1) of a round at or above which the round is degraded."""
    rtt_degraded_ms: float
    """Median round-trip time (ms) at or above which the round is degraded."""


@dataclass(frozen=True)
class Policy:
    loss_degraded: float = 0.2
    """Loss ratio (0..1) of a round at or above which the round is degraded (a site whose
    facts carry no ``Limits``)."""
    rtt_degraded_ms: float = 500.0
    """Median round-trip time (ms) at or above which the round is degraded (likewise)."""
    down_rounds: int = 3
    """Consecutive failed (or degraded) rounds before DOWN (or DEGRADED)."""
    up_rounds: int = 2
    """Consecutive answered (or clean) rounds before leaving DOWN (or DEGRADED)."""
    flap_window_s: float = 120.0
    """Changes of a site's state this close together count towards flapping."""
    flap_changes: int = 3
    """Changes within ``flap_window_s`` that make a site flapping (down, up, down again)."""
    flap_hold_s: float = 120.0
    """A flapping site is stable again after this long without a change of state."""

    @property
    def limits(self) -> Limits:
        return Limits(self.loss_degraded, self.rtt_degraded_ms)

    @property
    def flap_rule(self) -> flapping.Rule:
        return flapping.Rule(self.flap_window_s, self.flap_changes, self.flap_hold_s)


@dataclass(frozen=True)
class Observation:
    """One sweep's measurements of one site (all its targets pooled)."""

    sent: int
    received: int
    rtt_median_ms: float | None = None
    at: float | None = None
    """When it was measured (Unix s; the latest round's start): the time of a change it makes."""
    reach_only: bool = False
    """A round asking only whether the site answers (a check, an outage's confirmation): it
    counts failed and answered rounds, never degraded or clean ones."""

    @property
    def answered(self) -> bool:
        return self.received > 0

    @property
    def loss(self) -> float:
        return 1.0 - self.received / self.sent if self.sent else 1.0


def round_health(obs: Observation, policy: Policy, limits: Limits | None = None) -> State:
    """UP, DEGRADED or DOWN for a single round, before the rounds are counted."""
    lim = limits or policy.limits
    if not obs.answered:
        return State.DOWN
    if obs.loss >= lim.loss_degraded - 1e-9:  # 1 - 4/5 is 0.19999999999999996
        return State.DEGRADED
    if obs.rtt_median_ms is not None and obs.rtt_median_ms >= lim.rtt_degraded_ms:
        return State.DEGRADED
    return State.UP


@dataclass(frozen=True)
class Health:
    state: State = State.UNKNOWN
    """UNKNOWN, UP, DEGRADED or DOWN."""
    failed: int = 0
    """Consecutive failed rounds."""
    answered: int = 0
    """Consecutive answered rounds."""
    degraded: int = 0
    """Consecutive degraded (answered) rounds."""
    clean: int = 0
    """Consecutive clean (answered, not degraded) rounds."""


def step_health(
    health: Health,
    obs: Observation,
    policy: Policy,
    limits: Limits | None = None,
) -> Health:
    """The health after one more round."""
    verdict = round_health(obs, policy, limits)
    if verdict is State.DOWN:
        h = replace(health, failed=health.failed + 1, answered=0)
        if not obs.reach_only:  # one lost echo of a check says nothing of the link's quality
            h = replace(h, degraded=0, clean=0)
        if h.failed >= policy.down_rounds and h.state is not State.DOWN:
            return replace(h, state=State.DOWN)
        return h
    h = replace(health, failed=0, answered=health.answered + 1)
    if not obs.reach_only:
        h = replace(
            h,
            degraded=health.degraded + 1 if verdict is State.DEGRADED else 0,
            clean=health.clean + 1 if verdict is State.UP else 0,
        )
    if h.state is State.UNKNOWN:
        # The first answer shows UP; DEGRADED takes ``down_rounds`` degraded rounds, as from UP
        # (one lossy round of a healthy VSAT link, or a check's lost echo, proves nothing).
        return replace(h, state=State.DEGRADED if h.degraded >= policy.down_rounds else State.UP)
    if h.state is State.DOWN:
        if h.answered < policy.up_rounds:
            return h
        # A reach round tells that the site answers, not how well (its first echoes after a
        # link comes back are often lost to ARP): UP, and quality rounds judge the rest.
        return replace(h, state=State.UP if obs.reach_only else verdict)
    if h.state is State.UP and h.degraded >= policy.down_rounds:
        return replace(h, state=State.DEGRADED)
    if h.state is State.DEGRADED and h.clean >= policy.up_rounds:
        return replace(h, state=State.UP)
    return h


@dataclass(frozen=True)
class SiteFacts:
    """What the inventory says about a site at this sweep."""

    site_id: int
    parents: tuple[int, ...]
    """Parent sites of the site's *active* uplinks."""
    planned: bool
    """No active uplink (and not the root): not probed, not alerted."""
    maintenance: bool
    limits: Limits | None = None
    """Thresholds of the site's primary active uplink (None: the policy's)."""


@dataclass(frozen=True)
class Track:
    """A site's state between sweeps (stored in ``inventory_site_state``, its flapping in
    ``inventory_site_flapping``)."""

    site_id: int
    shown: State = State.UNKNOWN
    effective: State = State.UNKNOWN
    """The shown state without the PLANNED/MAINTENANCE overlay (what children depend on)."""
    health: Health = Health()
    since: float = 0.0
    """When ``shown`` last changed (Unix seconds)."""
    flap: Flap = field(default_factory=Flap)
    """Recent changes of the measured state, and whether the site is flapping."""

    @property
    def flapping(self) -> bool:
        return self.flap.flapping


def evaluate(
    order: Sequence[SiteFacts],
    tracks: Mapping[int, Track],
    observations: Mapping[int, Observation],
    policy: Policy,
    now: float,
) -> dict[int, Track]:
    """New tracks of every site in ``order`` (parents must come before their children).

    A site missing from ``observations`` was not probed this sweep: its health stays. A change
    dates from the observation that made it (its ``at``), else from ``now``. Flapping follows
    the changes of the measured state between UP, DEGRADED and DOWN (an UNREACHABLE village
    behind a flapping kecamatan is not flapping itself: its parent's outage is not its own).
    """
    out: dict[int, Track] = {}
    for facts in order:
        prev = tracks.get(facts.site_id, Track(facts.site_id, since=now))
        obs = observations.get(facts.site_id)
        if facts.planned:
            health = Health()
            effective = State.PLANNED
        else:
            health = (
                step_health(prev.health, obs, policy, facts.limits)
                if obs is not None
                else prev.health
            )
            effective = health.state
            silent = (obs is not None and not obs.answered) or effective is State.DOWN
            if silent and facts.parents and _all_out(facts.parents, out, tracks):
                effective = State.UNREACHABLE
            elif effective is State.DOWN and facts.parents and _all_flapping(facts.parents, out):
                effective = State.UNREACHABLE  # its silence is most likely its parents' again
            elif (
                effective is State.DOWN and facts.parents and _not_its_own(prev, health, facts, out)
            ):
                effective = prev.effective if prev.effective is not State.PLANNED else State.UNKNOWN
        shown = effective
        if facts.maintenance and not facts.planned:
            shown = State.MAINTENANCE
        changed_at = obs.at if obs is not None and obs.at is not None else now
        since = prev.since if shown is prev.shown else changed_at
        was = prev.effective
        turned = was in JUDGED and effective in JUDGED and effective is not was
        flap = flapping.step(prev.flap, changed_at if turned else None, now, policy.flap_rule)
        if facts.planned:
            flap = Flap()
        out[facts.site_id] = Track(facts.site_id, shown, effective, health, since, flap)
    return out


def _not_its_own(prev: Track, health: Health, facts: SiteFacts, new: Mapping[int, Track]) -> bool:
    """A site DOWN by its own rounds whose outage is not (yet) its own: its parents stopped
    answering too but are not decided (a village can count its third failed round before its
    kecamatan does), or it was UNREACHABLE and answers again, one round behind its recovered
    parent. It keeps its previous state: no village alert for the kecamatan's outage."""
    if not facts.parents:
        return False
    if prev.effective is State.UNREACHABLE and health.answered > 0:
        return True
    return _all_failing(facts.parents, new)


def _all_flapping(parents: Iterable[int], new: Mapping[int, Track]) -> bool:
    """Every parent is flapping (or out): the child's outage is not told as its own until its
    parents are stable again."""
    tracks = [new.get(parent) for parent in parents]
    return all(t is not None and (t.flapping or t.effective in OUT) for t in tracks) and any(
        t is not None and t.flapping for t in tracks
    )


def _all_failing(parents: Iterable[int], new: Mapping[int, Track]) -> bool:
    """Every parent's latest round failed (or it is out): the child's silence may be theirs."""
    for parent in parents:
        track = new.get(parent)
        if track is None or (track.health.failed == 0 and track.effective not in OUT):
            return False
    return True


def _all_out(parents: Iterable[int], new: Mapping[int, Track], old: Mapping[int, Track]) -> bool:
    for parent in parents:
        track = new.get(parent) or old.get(parent)
        if track is None or track.effective not in OUT:
            return False
    return True


def order_sites(parent_of: Mapping[int, int | None]) -> list[int]:
    """Site ids, every parent before its children (breadth-first from the roots)."""
    children: dict[int | None, list[int]] = {}
    for site, parent in parent_of.items():
        key = parent if parent in parent_of else None
        children.setdefault(key, []).append(site)
    ordered: list[int] = []
    level = sorted(children.get(None, []))
    seen: set[int] = set()
    while level:
        nxt: list[int] = []
        for site in level:
            if site in seen:
                continue
            seen.add(site)
            ordered.append(site)
            nxt.extend(sorted(children.get(site, [])))
        level = nxt
    # Cycles (bad data) would hide sites: append whatever was not reached.
    ordered.extend(sorted(s for s in parent_of if s not in seen))
    return ordered
