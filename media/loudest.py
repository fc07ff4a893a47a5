"""Which audio a receiver hears when more people could speak than it has audio slots (pure).

A page in a 228-site session must not mix 228 audio tracks: each receiver holds at most
``limit`` audio slots, and the SFU fills them with the loudest of its candidates (the
publishers it is subscribed to for audio; never itself), from the RFC 6464 levels the
publishers' packets carry (``ImmediateAudioBuffer`` reports them every 0.2 s).

Hysteresis, so that words are not cut:

- a publisher **speaks** while its reports reach ``speaking_level``; a report below it (or no
  report for ``silence_after`` s: muted, DTX) ends the run;
- an occupant **keeps its slot** while it speaks and for ``hold`` s after it went quiet;
- a **newcomer** takes an empty slot as soon as it speaks (nobody is cut, nothing flaps); it
  takes an occupied slot only once it has spoken for ``challenge`` s without a break (a cough
  or a door does not), and only from an occupant whose hold ran out; the loudest first;
- a **priority** publisher (the host, or whoever the host gave the floor) gets a slot as soon
  as it speaks, with no challenge: it takes the slot of the occupant quiet the longest (the
  quietest, when all speak);
- an occupant nobody needs the slot of stays (no switch without a reason).

Receivers with at most ``limit`` candidates are not this module's business: each candidate has
its own slot, as before.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LoudestSettings:
    limit: int = 3
    """Audio slots per receiver (0: no limit, every subscription its own slot)."""
    speaking_level: int = -50
    """dBov at or above which a report counts as speech (0 loudest, -127 silence)."""
    hold: float = 1.5
    """Seconds an occupant keeps its slot after going quiet."""
    challenge: float = 0.3
    """Seconds a newcomer must speak without a break before it takes a slot."""
    silence_after: float = 0.5
    """No level report for this long (muted, DTX silence, gone) counts as quiet."""


@dataclass
class _Voice:
    level: int = -127  # the latest report
    heard_at: float = float("-inf")  # the latest report at or above speaking_level
    onset: float | None = None  # start of the current speaking run (None: not speaking)


@dataclass
class Loudness:
    """What every publisher's levels say, shared by all receivers (one instance per SFU)."""

    settings: LoudestSettings = field(default_factory=LoudestSettings)
    _voices: dict[str, _Voice] = field(default_factory=dict)
    changes: int = 0
    """Bumped whenever a speaking run starts or ends (see :meth:`signature`)."""

    def level(self, publisher: str, level_dbov: int, now: float) -> None:
        voice = self._voices.setdefault(publisher, _Voice())
        voice.level = level_dbov
        if level_dbov >= self.settings.speaking_level:
            if voice.onset is None or now - voice.heard_at > self.settings.silence_after:
                voice.onset = now
                self.changes += 1
            voice.heard_at = now
        elif voice.onset is not None:
            voice.onset = None
            self.changes += 1

    def forget(self, publisher: str) -> None:
        if self._voices.pop(publisher, None) is not None:
            self.changes += 1

    def speaking(self, publisher: str, now: float) -> bool:
        voice = self._voices.get(publisher)
        return (
            voice is not None
            and voice.onset is not None
            and now - voice.heard_at <= self.settings.silence_after
        )

    def held(self, publisher: str, now: float) -> bool:
        """Speaking, or quiet for less than the hold time."""
        voice = self._voices.get(publisher)
        return voice is not None and now - voice.heard_at <= self.settings.hold

    def established(self, publisher: str, now: float) -> bool:
        """Speaking without a break for at least the challenge time."""
        voice = self._voices.get(publisher)
        return (
            self.speaking(publisher, now)
            and voice is not None
            and voice.onset is not None
            and now - voice.onset >= self.settings.challenge
        )

    def quiet_since(self, publisher: str) -> float:
        voice = self._voices.get(publisher)
        return voice.heard_at if voice is not None else float("-inf")

    def loudness(self, publisher: str) -> int:
        voice = self._voices.get(publisher)
        return voice.level if voice is not None else -127

    def active(self, now: float) -> list[str]:
        """Publishers speaking or within their hold: the only ones a choice can bring in."""
        hold = self.settings.hold
        return [p for p, v in self._voices.items() if now - v.heard_at <= hold]

    def signature(self, now: float) -> tuple[int, frozenset[str], frozenset[str]]:
        """Changes when any receiver's choice may change: a run started or ended, a hold or a
        challenge ran out. Equal signatures: no receiver needs a new choice."""
        active = self.active(now)
        return (
            self.changes,
            frozenset(active),
            frozenset(p for p in active if self.established(p, now)),
        )

    def choose(
        self,
        current: Iterable[str],
        candidates: Collection[str],
        priority: Collection[str],
        now: float,
        exclude: str | None = None,
    ) -> list[str]:
        """The receiver's next set (at most ``limit``), given what its slots carry now. Order:
        kept occupants first, then those coming in (a slot changes only when it must)."""
        limit = self.settings.limit
        if limit <= 0 or len(candidates) - (exclude in candidates) <= limit:
            return [c for c in candidates if c != exclude]
        kept = [c for c in dict.fromkeys(current) if c in candidates and c != exclude]
        taken = set(kept)
        speakers = [
            c
            for c in self.active(now)
            if c in candidates and c != exclude and c not in taken and self.speaking(c, now)
        ]
        speakers.sort(key=lambda c: -self.loudness(c))
        urgent = [c for c in speakers if c in priority][:limit]
        # Priority speakers first: they displace the occupant quiet the longest (held or not).
        while len(kept) + len(urgent) > limit:
            victims = [c for c in kept if c not in priority] or kept
            victims.sort(key=lambda c: (self.speaking(c, now), self.quiet_since(c)))
            kept.remove(victims[0])
        chosen = kept + urgent
        rest = [c for c in speakers if c not in urgent]
        # An empty slot is taken as soon as someone speaks (established speakers first).
        rest.sort(key=lambda c: not self.established(c, now))
        free = max(0, limit - len(chosen))
        chosen += rest[:free]
        # Then established newcomers replace occupants whose hold ran out (the occupant quiet
        # the longest first); a held occupant keeps its slot.
        newcomers = [c for c in rest[free:] if self.established(c, now)]
        if newcomers:
            expired = [c for c in kept if c not in priority and not self.held(c, now)]
            expired.sort(key=self.quiet_since)
            for old, new in zip(expired, newcomers, strict=False):
                chosen[chosen.index(old)] = new
        return chosen
