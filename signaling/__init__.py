"""socket.io signaling: the meeting protocol (docs/protocol.md) and live pushes."""
