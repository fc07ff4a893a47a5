"""Rooms: sessions, participants, the lobby and roles, behind a store interface.

Nothing here imports sockets or media: ``signaling/`` drives ``RoomService`` and wires its
decisions (``rooms.forwarding``) into the SFU.
"""

from rooms.errors import ERROR_CODES, RoomError
from rooms.forwarding import ForwardingPolicy
from rooms.memory import MemoryRoomStore
from rooms.model import (
    ChatMessage,
    Participant,
    ParticipantRole,
    ParticipantState,
    Room,
    SessionState,
)
from rooms.records import RoomRecord, RoomRecords
from rooms.service import Joined, Joiner, RoomService
from rooms.sites import BuiltinSites, DirectorySite, LinkHealth, SiteDirectory
from rooms.store import RoomStore

__all__ = [
    "ERROR_CODES",
    "BuiltinSites",
    "ChatMessage",
    "DirectorySite",
    "ForwardingPolicy",
    "Joined",
    "Joiner",
    "LinkHealth",
    "MemoryRoomStore",
    "Participant",
    "ParticipantRole",
    "ParticipantState",
    "Room",
    "RoomError",
    "RoomRecord",
    "RoomRecords",
    "RoomService",
    "RoomStore",
    "SessionState",
    "SiteDirectory",
]
