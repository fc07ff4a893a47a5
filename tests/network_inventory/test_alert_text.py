"""The Indonesian text of an alert: place as "Desa, Kecamatan", state, since when (WIB), the
villages affected, reminders; no codes or probe internals."""

from __future__ import annotations

from datetime import datetime

from network_inventory.alert_text import MAX_LISTED, Place, compose, wib
from network_inventory.availability import WIB

AT = datetime(2026, 12, 3, 20, 49, tzinfo=WIB).timestamp()


def test_wib_date_and_time_in_indonesian() -> None:
    assert wib(AT) == "Kamis, 3 Desember 2026 pukul 20.49 WIB"


def test_a_village_is_named_with_its_kecamatan_and_degraded_shows_quality() -> None:
    payload = {
        "kind": "degraded",
        "site": {"id": 5, "name": "Banaran", "kind": "desa", "code": "33.14.01.2001",
                 "loss": 0.25, "rtt_ms": 812.4, "method": "icmp-raw"},
        "affected": [],
    }  # fmt: skip
    msg = compose(payload, {5: Place("Banaran", "desa", "Kalijambe")}, at=AT)
    assert msg.subject == "Pendopo: MENURUN: Desa Banaran, Kecamatan Kalijambe"
    assert msg.text.splitlines()[:3] == [
        "MENURUN: Desa Banaran, Kecamatan Kalijambe",
        "Sejak: Kamis, 3 Desember 2026 pukul 20.49 WIB",
        "Kualitas: paket hilang 25 %, waktu tempuh 812 ms",
    ]
    assert "33.14" not in msg.text and "icmp" not in msg.text


def test_long_lists_are_cut_and_reminders_say_how_long() -> None:
    villages = [{"id": 100 + i, "name": f"Desa{i}", "kind": "desa"} for i in range(40)]
    payload = {"kind": "down", "site": {"id": 2, "name": "Kalijambe", "kind": "kecamatan"},
               "affected": villages}  # fmt: skip
    msg = compose(payload, {}, at=AT, reminder=2, now=AT + 3900)
    lines = msg.text.splitlines()
    assert lines[0] == "PENGINGAT ke-2: belum ada yang menangani, sudah 1 jam 5 menit."
    assert lines[1] == "PUTUS: Kecamatan Kalijambe"
    assert "40 desa/kelurahan di belakangnya tak terjangkau:" in lines
    assert sum(1 for line in lines if line.startswith("- Desa")) == MAX_LISTED
    assert f"- … dan {40 - MAX_LISTED} lainnya" in lines
    assert msg.subject == "Pendopo: PENGINGAT PUTUS: Kecamatan Kalijambe"


def test_an_alert_about_flapping_says_so_once_and_its_end() -> None:
    place = {2: Place("Kalijambe", "kecamatan")}
    site = {"id": 2, "name": "Kalijambe", "kind": "kecamatan", "code": "33.14.01"}
    started = compose({"kind": "down", "site": site, "flapping": "started"}, place, at=AT)
    assert started.subject == "Pendopo: PUTUS: Kecamatan Kalijambe (tidak stabil)"
    assert "tidak diberitahukan satu per satu" in started.text
    ended = compose({"kind": "up", "site": site, "flapping": "ended"}, place, at=AT)
    assert ended.subject == "Pendopo: NORMAL KEMBALI: Kecamatan Kalijambe (stabil lagi)"
    plain = compose({"kind": "down", "site": site}, place, at=AT)
    assert "stabil" not in plain.text
