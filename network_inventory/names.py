"""Place-name comparison: the same village is spelled differently across sources.

``name_key`` lower-cases and drops everything but letters and digits ("Sambung Macan" and
"Sambungmacan" share a key). ``distance`` is the Levenshtein edit distance used for the last,
reported, fuzzy step of the import ("Samberembe" vs "Sambirembe" is 1).
"""

from __future__ import annotations

import unicodedata


def name_key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def distance(a: str, b: str) -> int:
    """Levenshtein distance (insert, delete, substitute each cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def tolerance(key: str) -> int:
    """Edits allowed for a fuzzy match: none for short names, 1 up to 9 letters, then 2."""
    if len(key) < 5:
        return 0
    return 1 if len(key) <= 9 else 2
