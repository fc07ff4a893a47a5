"""What an IT officer is told about bad input: how many rows of a CSV are bad (not how many
errors), and a range message for an out-of-range port (not "is required")."""

from __future__ import annotations

import pytest

from network_inventory import Inventory, ValidationError


async def test_bad_csv_counts_rows_not_errors(sragen: Inventory) -> None:
    csv = (
        "site_id,kind,host,port\r\n"
        "x,tcp,127.0.0.1,70000\r\n"  # two bad fields
        "1,castle,127.0.0.1,\r\n"  # one bad field
        "1,icmp,127.0.0.1,\r\n"  # fine
    )
    with pytest.raises(ValidationError) as caught:
        await sragen.import_probes(csv, "probes.csv", user="it")
    assert caught.value.message.startswith("probes.csv: 2 invalid row(s) of 3"), caught.value
    rows = {d["row"] for d in caught.value.details}  # type: ignore[union-attr]
    assert len(rows) == 2 and len(caught.value.details) == 3  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("port", "message"), [(70000, "must be at most 65535"), (0, "must be at least 1")]
)
async def test_port_out_of_range_says_the_range(sragen: Inventory, port: int, message: str) -> None:
    body = {"site": 1, "kind": "tcp", "host": "127.0.0.1", "port": port}
    with pytest.raises(ValidationError) as caught:
        await sragen.create_probe(body, user="it", then=None)
    assert caught.value.details == [{"field": "port", "message": message}]


async def test_missing_port_of_a_tcp_probe_is_still_required(sragen: Inventory) -> None:
    with pytest.raises(ValidationError) as caught:
        await sragen.create_probe(
            {"site": 1, "kind": "tcp", "host": "127.0.0.1"}, user="it", then=None
        )
    assert caught.value.details == [{"field": "port", "message": "is required for a tcp probe"}]
