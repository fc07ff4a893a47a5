"""1:1 NAT: the server's SDP names a public address instead of the one it gathered on."""

from __future__ import annotations


def announce(sdp: str, mapping: tuple[tuple[str, str], ...]) -> str:
    """Replace the address of each host candidate (and of the ``c=`` lines) gathered on LOCAL
    by PUBLIC, for each (LOCAL, PUBLIC) of ``mapping``; LOCAL ``"*"`` matches any address.
    Ports stay: the NAT maps them one to one."""
    if not mapping:
        return sdp
    table = dict(mapping)

    def public(address: str) -> str | None:
        return table.get(address) or table.get("*")

    lines = sdp.split("\r\n")
    for i, line in enumerate(lines):
        parts = line.split(" ")
        if line.startswith("a=candidate:") and len(parts) > 7 and parts[7] == "host":
            if (new := public(parts[4])) is not None:
                parts[4] = new
                lines[i] = " ".join(parts)
        elif line.startswith("c=IN IP") and len(parts) == 3 and parts[2] not in ("0.0.0.0", "::"):
            if (new := public(parts[2])) is not None:
                lines[i] = f"c=IN IP{6 if ':' in new else 4} {new}"
    return "\r\n".join(lines)
