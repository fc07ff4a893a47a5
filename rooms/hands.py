"""Raised hands: who asked to speak, in the order they asked.

A hand is part of the participant's stored state (``Participant.hand_raised_at``), so any
process rebuilds the queue from the store. Only present participants are in the queue: someone
who left or was removed drops out of it; a dropped socket keeps the hand for the grace period.
"""

from __future__ import annotations

from collections.abc import Iterable

from rooms.model import Participant


def queue(participants: Iterable[Participant]) -> list[str]:
    """Participant ids with a raised hand, first raised first (join order breaks a tie)."""
    raised = sorted(
        (p.hand_raised_at, i, p.id)
        for i, p in enumerate(participants)
        if p.present and p.hand_raised_at is not None
    )
    return [pid for _at, _i, pid in raised]
