"""chalicelib/voice/: the audio captcha's Persian digits, spoken by espeak-ng (`-v fa`).

Run once when the clips change (`make voice`); the clips are shipped in the package, so
nothing is synthesised, and nothing is fetched, at run time. Each digit is spoken in two
ways (pitch and speed), 8 kHz 8-bit mono as the `captcha` package's audio mixer reads it.

    python scripts/voice_clips.py [--out chalicelib/voice]
"""
from __future__ import annotations

import argparse
import array
import os
import shutil
import subprocess
import sys
import tempfile
import wave

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORDS = ["صفر", "یک", "دو", "سه", "چهار", "پنج", "شش", "هفت", "هشت", "نه"]
VOICES = [("a", ["-p", "45", "-s", "150"]), ("b", ["-p", "65", "-s", "135"])]
RATE = 8000


def to_8khz_8bit(path: str) -> bytes:
    """espeak-ng's 16-bit mono WAV -> 8 kHz unsigned 8-bit samples, silence trimmed."""
    with wave.open(path) as source:
        rate, frames = source.getframerate(), source.readframes(source.getnframes())
    samples = array.array("h", frames)
    if sys.byteorder == "big":
        samples.byteswap()
    step = rate / RATE
    # Averages over each output sample's span: a plain low-pass before dropping samples.
    out = []
    for i in range(int(len(samples) / step)):
        span = samples[int(i * step): max(int((i + 1) * step), int(i * step) + 1)]
        out.append(sum(span) / len(span))
    loud = [i for i, v in enumerate(out) if abs(v) > 600]
    out = out[max(0, loud[0] - 80): loud[-1] + 80] if loud else out
    peak = max(1.0, max(abs(v) for v in out))
    return bytes(max(0, min(255, int(128 + v / peak * 110))) for v in out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "chalicelib", "voice"))
    args = parser.parse_args(argv)
    if shutil.which("espeak-ng") is None:
        print("espeak-ng is not installed (apt-get install espeak-ng)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        for digit, word in enumerate(WORDS):
            folder = os.path.join(args.out, str(digit))
            os.makedirs(folder, exist_ok=True)
            for name, options in VOICES:
                spoken = os.path.join(tmp, f"{digit}{name}.wav")
                subprocess.run(["espeak-ng", "-v", "fa", *options, "-w", spoken, word], check=True)
                with wave.open(os.path.join(folder, f"{name}.wav"), "wb") as clip:
                    clip.setnchannels(1)
                    clip.setsampwidth(1)
                    clip.setframerate(RATE)
                    clip.writeframes(to_8khz_8bit(spoken))
    print(f"voice clips in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
