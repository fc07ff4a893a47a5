"""What an alert says to people (e-mail and Telegram), in Indonesian: the place as "Desa X,
Kecamatan Y", its state, since when (WIB), and the villages affected. Pure: the places are looked
up by the caller (``notify.py``); no ids, probe methods or JSON reach the reader."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from network_inventory.availability import WIB

STATE_WORDS = {
    "down": "PUTUS",
    "degraded": "MENURUN",
    "up": "NORMAL KEMBALI",
    "unreachable": "TAK TERJANGKAU",
}
FLAP_HEADLINE = {"started": " (tidak stabil)", "ended": " (stabil lagi)"}
FLAP_LINES = {
    "started": "Sambungan ini berganti-ganti putus dan tersambung. Perubahan berikutnya tidak"
    " diberitahukan satu per satu; satu pesan lagi dikirim setelah sambungan stabil.",
    "ended": "Sambungan tidak berubah lagi sejak beberapa menit setelah berganti-ganti:"
    " ini keadaannya sekarang.",
}
"""What an alert about flapping (``alerts.py``) adds: the word in its headline, and a line."""
KIND_WORDS = {
    "kabupaten": "Kabupaten",
    "kecamatan": "Kecamatan",
    "desa": "Desa",
    "kelurahan": "Kelurahan",
    "village": "Desa/Kelurahan",
}
DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
MAX_LISTED = 30
"""Villages listed by name in one message; the rest are counted."""


@dataclass(frozen=True)
class Place:
    """A site as a reader knows it."""

    name: str
    kind: str
    kecamatan: str | None = None
    """The name of the kecamatan it belongs to (for a village)."""

    def label(self, *, with_kecamatan: bool = True) -> str:
        own = f"{KIND_WORDS[self.kind]} {self.name}" if self.kind in KIND_WORDS else self.name
        if with_kecamatan and self.kecamatan and self.kind != "kecamatan":
            return f"{own}, Kecamatan {self.kecamatan}"
        return own


@dataclass(frozen=True)
class Message:
    subject: str
    text: str


def wib(at: float) -> str:
    """``Kamis, 3 Desember 2026 pukul 20.49 WIB``."""
    t = datetime.fromtimestamp(at, WIB)
    return f"{DAYS[t.weekday()]}, {t.day} {MONTHS[t.month - 1]} {t.year} pukul {t:%H.%M} WIB"


def duration(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} jam {minutes} menit" if hours else f"{minutes} menit"


def _place(site: Mapping[str, Any], places: Mapping[int, Place]) -> Place:
    return places.get(int(site["id"]), Place(str(site.get("name") or "?"), str(site["kind"])))


def _listed(items: Sequence[str]) -> list[str]:
    lines = [f"- {item}" for item in items[:MAX_LISTED]]
    if len(items) > MAX_LISTED:
        lines.append(f"- … dan {len(items) - MAX_LISTED} lainnya")
    return lines


def compose(
    payload: Mapping[str, Any],
    places: Mapping[int, Place],
    *,
    at: float,
    reminder: int = 0,
    now: float | None = None,
) -> Message:
    """The message of one alert. ``at``: when the change was seen; ``reminder`` > 0: the n-th
    re-send of an outage nobody has acknowledged (``now`` for how long it has lasted)."""
    kind = str(payload["kind"])
    word = STATE_WORDS.get(kind, kind.upper())
    site = payload["site"]
    lead = _place(site, places)
    affected = list(payload.get("affected") or [])
    lines: list[str] = []
    if payload.get("grouped"):
        members = [_place(a, places) for a in affected]
        headline = f"{word}: {len(members)} lokasi di {lead.label()}"
        lines.append(headline)
        lines.append(f"{lead.label()} sendiri tetap terhubung; lokasi di bawahnya:")
        lines.extend(_listed([m.label(with_kecamatan=False) for m in members]))
    else:
        flap = str(payload.get("flapping") or "")
        headline = f"{word}: {lead.label()}" + FLAP_HEADLINE.get(flap, "")
        lines.append(headline)
        if flap in FLAP_LINES:
            lines.append(FLAP_LINES[flap])
        if kind == "degraded":
            lines.append(_quality(site))
        behind = [_place(a, places) for a in affected]
        if behind:
            state = "tak terjangkau" if kind != "up" else "terjangkau lagi"
            lines.append(f"{len(behind)} desa/kelurahan di belakangnya {state}:")
            lines.extend(_listed([b.label(with_kecamatan=False) for b in behind]))
    lines.insert(1, f"Sejak: {wib(at)}")
    if reminder:
        lasted = f", sudah {duration((now or at) - at)}" if now is not None else ""
        lines.insert(0, f"PENGINGAT ke-{reminder}: belum ada yang menangani{lasted}.")
        headline = f"PENGINGAT {headline}"
    lines.append("")
    lines.append("— Pendopo, pemantau jaringan kabupaten")
    return Message(subject=f"Pendopo: {headline}", text="\n".join(lines))


def _quality(site: Mapping[str, Any]) -> str:
    parts = []
    if site.get("loss") is not None:
        parts.append(f"paket hilang {round(float(site['loss']) * 100)} %")
    if site.get("rtt_ms") is not None:
        parts.append(f"waktu tempuh {round(float(site['rtt_ms']))} ms")
    return "Kualitas: " + (", ".join(parts) if parts else "tidak terukur")
