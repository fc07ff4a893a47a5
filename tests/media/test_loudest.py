"""media/loudest.py: which audio a receiver hears, from synthetic level sequences."""

from __future__ import annotations

from media.loudest import LoudestSettings, Loudness

LOUD, SOFT, QUIET = -20, -40, -90
STEP = 0.2  # the SFU's level reports come every 0.2 s per publisher


class Room:
    """Publishers sending levels every STEP; one receiver's slots followed over time."""

    def __init__(self, settings: LoudestSettings | None = None) -> None:
        self.loudness = Loudness(settings or LoudestSettings(limit=3, hold=1.5, challenge=0.3))
        self.now = 0.0
        self.chosen: list[str] = []

    def run(
        self,
        seconds: float,
        levels: dict[str, int],
        candidates: set[str],
        priority: frozenset[str] = frozenset(),
        me: str | None = None,
    ) -> list[list[str]]:
        """Feed ``levels`` for ``seconds``; the receiver's choice after each report round."""
        seen = []
        for _ in range(round(seconds / STEP)):
            self.now += STEP
            for who, level in levels.items():
                self.loudness.level(who, level, self.now)
            self.chosen = self.loudness.choose(self.chosen, candidates, priority, self.now, me)
            seen.append(list(self.chosen))
        return seen


SIX = {f"s{i}" for i in range(6)}


def test_loudest_three_of_six_fill_empty_slots_at_once() -> None:
    room = Room()
    levels = {"s0": LOUD, "s1": LOUD, "s2": SOFT, "s3": QUIET, "s4": QUIET, "s5": QUIET}
    first = room.run(STEP, levels, SIX)[0]
    assert sorted(first) == ["s0", "s1", "s2"]  # empty slots: no waiting, nobody cut


def test_at_or_under_the_limit_every_candidate_keeps_its_slot() -> None:
    room = Room()
    three = {"s0", "s1", "s2"}
    seen = room.run(2.0, {"s0": QUIET, "s1": QUIET, "s2": QUIET}, three)
    assert all(sorted(c) == ["s0", "s1", "s2"] for c in seen)
    assert Loudness(LoudestSettings(limit=0)).choose([], SIX, (), 0.0) != []  # 0: no limit


def test_a_receiver_never_gets_its_own_audio() -> None:
    room = Room()
    levels = {s: LOUD for s in SIX}
    for choice in room.run(3.0, levels, SIX, me="s0"):
        assert "s0" not in choice and len(choice) == 3
    four = {"s0", "s1", "s2", "s3"}  # with self excluded, three others fit without choosing
    assert sorted(Room().loudness.choose([], four, (), 0.0, "s0")) == ["s1", "s2", "s3"]


def test_a_speaker_keeps_the_slot_through_a_pause_shorter_than_the_hold() -> None:
    room = Room()
    room.run(1.0, {"s0": LOUD, "s1": LOUD, "s2": LOUD, "s3": QUIET}, SIX)
    assert sorted(room.chosen) == ["s0", "s1", "s2"]
    # s2 pauses for 1 s (hold 1.5 s) while s3 speaks loudly: s2 keeps its slot.
    seen = room.run(1.0, {"s0": LOUD, "s1": LOUD, "s2": QUIET, "s3": LOUD}, SIX)
    assert all("s2" in c and "s3" not in c for c in seen)
    # s2 resumes: nothing changed for the receiver, no word was cut.
    seen = room.run(0.4, {"s0": LOUD, "s1": LOUD, "s2": LOUD, "s3": LOUD}, SIX)
    assert all(sorted(c) == ["s0", "s1", "s2"] for c in seen)


def test_after_the_hold_a_newcomer_that_spoke_long_enough_takes_the_slot() -> None:
    room = Room()
    room.run(1.0, {"s0": LOUD, "s1": LOUD, "s2": LOUD}, SIX)
    seen = room.run(3.0, {"s0": LOUD, "s1": LOUD, "s2": QUIET, "s3": LOUD}, SIX)
    assert sorted(seen[-1]) == ["s0", "s1", "s3"]
    # not before the hold ran out (1.5 s after s2's last loud report)
    assert all("s2" in c for c in seen[:6])


def test_a_cough_shorter_than_the_challenge_takes_no_occupied_slot() -> None:
    room = Room()
    room.run(1.0, {"s0": LOUD, "s1": LOUD, "s2": LOUD}, SIX)
    room.run(3.0, {"s0": LOUD, "s1": LOUD, "s2": QUIET}, SIX)  # s2's hold runs out
    assert sorted(room.chosen) == ["s0", "s1", "s2"]  # nobody else wants it: s2 stays
    seen = room.run(STEP, {"s0": LOUD, "s1": LOUD, "s2": QUIET, "s4": LOUD}, SIX)  # one report
    seen += room.run(1.0, {"s0": LOUD, "s1": LOUD, "s2": QUIET, "s4": QUIET}, SIX)
    assert all("s4" not in c for c in seen)
    # the same newcomer speaking past the challenge (0.3 s) gets in
    seen = room.run(0.6, {"s0": LOUD, "s1": LOUD, "s2": QUIET, "s4": LOUD}, SIX)
    assert "s4" not in seen[0] and "s4" in seen[-1]


def test_the_host_always_gets_a_slot_when_speaking() -> None:
    room = Room()
    room.run(1.0, {"s0": LOUD, "s1": LOUD, "s2": SOFT}, SIX)
    assert "host" not in room.chosen
    everyone = SIX | {"host"}
    # the host speaks while three sites speak: no challenge, the quietest held occupant goes
    seen = room.run(
        STEP, {"s0": LOUD, "s1": LOUD, "s2": SOFT, "host": SOFT}, everyone, frozenset({"host"})
    )
    assert "host" in seen[0] and len(seen[0]) == 3
    # and keeps it through a pause
    seen = room.run(
        1.0, {"s0": LOUD, "s1": LOUD, "s2": LOUD, "host": QUIET}, everyone, frozenset({"host"})
    )
    assert all("host" in c for c in seen)


def test_the_floor_holder_is_priority_like_the_host() -> None:
    room = Room()
    room.run(1.0, {"s0": LOUD, "s1": LOUD, "s2": LOUD}, SIX)
    seen = room.run(STEP, {"s0": LOUD, "s1": LOUD, "s2": LOUD, "s5": SOFT}, SIX, frozenset({"s5"}))
    assert "s5" in seen[0] and len(seen[0]) == 3


def test_silence_means_no_reports_too() -> None:
    """A muted or DTX publisher sends no levels: its run ends after silence_after."""
    room = Room()
    room.run(1.0, {"s0": LOUD, "s1": LOUD, "s2": LOUD}, SIX)
    room.run(3.0, {"s0": LOUD, "s1": LOUD}, SIX)  # s2 sends nothing at all
    assert not room.loudness.speaking("s2", room.now)
    seen = room.run(0.6, {"s0": LOUD, "s1": LOUD, "s3": LOUD}, SIX)
    assert "s3" in seen[-1] and "s2" not in seen[-1]


def test_signature_is_stable_while_nothing_changes() -> None:
    room = Room()
    room.run(1.0, {"s0": LOUD, "s1": QUIET}, SIX)
    before = room.loudness.signature(room.now)
    room.run(1.0, {"s0": LOUD, "s1": QUIET}, SIX)
    assert room.loudness.signature(room.now) == before
    room.run(STEP, {"s0": LOUD, "s1": LOUD}, SIX)
    assert room.loudness.signature(room.now) != before
