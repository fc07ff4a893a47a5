"""A speech-like test signal for Chromium's fake microphone (``--use-file-for-fake-audio-capture``).

Chromium's own fake microphone is a tone, which Opus codes in its CELT mode, where it has no
in-band FEC. This is voiced speech as a source-filter model: a glottal pulse train (110-135 Hz,
slightly jittered) through three vowel formants, one vowel per 220 ms syllable. No pauses, so
DTX never cuts in. Written at test time: nothing outside the repository is needed.
"""

from __future__ import annotations

import math
import random
import wave
from array import array
from pathlib import Path

RATE = 48000
VOWELS = ((730, 1090, 2440), (270, 2290, 3010), (300, 870, 2240), (530, 1840, 2480))
BANDWIDTHS = (80, 100, 120)


def write_speech_wav(path: Path, seconds: float = 6.0) -> Path:
    rnd = random.Random(7)
    samples = array("h")
    state = [(0.0, 0.0)] * 3
    phase = 0.0
    syllable = int(0.22 * RATE)
    for i in range(int(seconds * RATE)):
        vowel = VOWELS[(i // syllable) % len(VOWELS)]
        envelope = 0.3 + 0.7 * math.sin(math.pi * (i % syllable) / syllable) ** 2
        phase += (122 + 12 * math.sin(2 * math.pi * i / (1.3 * RATE)) + rnd.uniform(-2, 2)) / RATE
        pulse = 1.0 if phase >= 1.0 else 0.0
        phase -= pulse
        excitation = pulse + 0.02 * rnd.uniform(-1, 1)
        out = 0.0
        for j, (freq, bandwidth) in enumerate(zip(vowel, BANDWIDTHS, strict=True)):
            r = math.exp(-math.pi * bandwidth / RATE)
            s1, s2 = state[j]
            v = excitation + 2 * r * math.cos(2 * math.pi * freq / RATE) * s1 - r * r * s2
            state[j] = (v, s1)
            out += v / (j + 1)
        samples.append(int(32767 * max(-1.0, min(1.0, 0.02 * out * envelope))))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())
    return path
