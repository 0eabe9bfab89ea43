"""Generate the default Vietnamese voice pack for the lobby board (display/static/voice/vi/).

Every clip that `core.speech.all_clip_names()` lists is spoken by espeak-ng's Vietnamese voice,
trimmed of silence with sox and encoded as Ogg Opus (mono); "chime" is a synthesised ding-dong
and "pause" a short silence. Then every clip is decoded again and its length checked.

Needs espeak-ng, sox and opus-tools (apt-get install espeak-ng sox opus-tools).
Run from the repository root: .venv/bin/python tools/make_voice_pack.py
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "display" / "static" / "voice" / "vi"
REQUIRED_TOOLS = ("espeak-ng", "sox", "soxi", "opusenc", "opusdec")
MIN_CLIP_SECONDS = 0.1
MAX_PACK_BYTES = 1_500_000
SAMPLE_RATE = "48000"  # Opus works at 48 kHz; resampling once in sox keeps opusenc quiet.


def run(*command: str) -> str:
    """Run a command and return its standard output, failing loudly with its error text."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return done.stdout


def sox(*args: str) -> str:
    """Run sox in repeatable mode: its dither noise is then the same on every run."""
    return run("sox", "-R", *args)


def speak(text: str, wav: Path, *, voice: str, rate: int) -> None:
    """Speak `text` with espeak-ng, trim the silence around it and leave a short natural gap."""
    raw = wav.with_suffix(".raw.wav")
    run("espeak-ng", "-v", voice, "-s", str(rate), "-w", str(raw), text)
    # silence 1 ... reverse silence 1 ... reverse: cut quiet audio at the start, then at the end;
    # the pad keeps a little air so that joined words do not run into each other.
    sox(
        str(raw), "-r", SAMPLE_RATE, "-c", "1", "-b", "16", str(wav),
        "silence", "1", "0.01", "0.5%", "reverse", "silence", "1", "0.01", "0.5%", "reverse",
        "pad", "0.02", "0.06", "gain", "-n", "-1",
    )  # fmt: skip


def chime(wav: Path, work: Path) -> None:
    """Synthesise a soft two-tone ding-dong (E5 then C5, a falling major third), about 1.2 s."""
    tones = []
    for index, (freq, length) in enumerate(((659.25, 0.5), (523.25, 0.75))):
        parts = []
        # A fundamental with a quieter octave and twelfth: bell-like but not harsh.
        for multiple, volume in ((1, 1.0), (2, 0.3), (3, 0.08)):
            part = work / f"tone{index}_{multiple}.wav"
            sox(
                "-n", "-r", SAMPLE_RATE, "-c", "1", str(part),
                "synth", str(length), "sine", str(freq * multiple),
                # A soft 15 ms attack avoids a click; the logarithmic fade-out is the decay.
                "fade", "q", "0.015", "fade", "l", "0", str(length), str(length - 0.02),
            )  # fmt: skip
            parts += ["-v", str(volume), str(part)]
        tone = work / f"tone{index}.wav"
        sox("-m", *parts, str(tone))
        tones.append(str(tone))
    # Pad before the reverb so the last tone can ring out instead of being cut.
    sox(*tones, "-b", "16", str(wav), "pad", "0", "0.25", "reverb", "25", "50", "60",
        "gain", "-n", "-3")  # fmt: skip


def pause(wav: Path, seconds: float = 0.7) -> None:
    """Write a silence to put between the two readings of a call."""
    sox("-n", "-r", SAMPLE_RATE, "-c", "1", "-b", "16", str(wav), "trim", "0", str(seconds))


def encode(wav: Path, ogg: Path, *, name: str, bitrate: int, music: bool) -> None:
    """Encode to Ogg Opus; a serial number fixed per clip makes regeneration reproducible."""
    run(
        "opusenc", "--quiet", "--bitrate", str(bitrate), "--music" if music else "--speech",
        "--serial", str(zlib.crc32(name.encode()) & 0x7FFFFFFF), str(wav), str(ogg),
    )  # fmt: skip


def duration(ogg: Path, work: Path) -> float:
    """Decode a clip and measure it with soxi, so a broken file fails here and not in a lobby."""
    wav = work / f"check_{ogg.stem}.wav"
    run("opusdec", "--quiet", str(ogg), str(wav))
    seconds = float(run("soxi", "-D", str(wav)).strip())
    wav.unlink()
    return seconds


def main(argv: list[str] | None = None) -> int:
    """Build the pack, write manifest.json, then check every clip and the total size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="pack folder")
    parser.add_argument("--voice", default="vi", help="espeak-ng voice (vi, vi-vn-x-south)")
    parser.add_argument("--rate", type=int, default=160, help="words per minute (default 160)")
    parser.add_argument("--bitrate", type=int, default=24, help="Opus kbit/s (default 24)")
    parser.add_argument("--max-number", type=int, default=9999, help="largest number to cover")
    parser.add_argument(
        "--list", action="store_true", help="print a recording script (clip name, text) and stop"
    )
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from core.speech import CHIME, PAUSE, clip_vocabulary

    vocabulary = clip_vocabulary(max_number=args.max_number)
    if args.list:
        # For an office recording its own voice: one line per file to record.
        for name, text in sorted(vocabulary.items()):
            print(f"{name}.ogg\t{text or '(' + name + ')'}")
        return 0

    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        raise SystemExit(
            f"missing tools: {', '.join(missing)} (apt-get install espeak-ng sox opus-tools)"
        )

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, text in sorted(vocabulary.items()):
            wav = work / f"{name}.wav"
            if name == CHIME:
                chime(wav, work)
            elif name == PAUSE:
                pause(wav)
            else:
                speak(text, wav, voice=args.voice, rate=args.rate)
            encode(wav, out / f"{name}.ogg", name=name, bitrate=args.bitrate, music=name == CHIME)
        # The folder belongs to this generator: clips no call needs any more go.
        for stale in out.glob("*.ogg"):
            if stale.stem not in vocabulary:
                stale.unlink()
        manifest = {
            "lang": "vi",
            "format": "ogg",
            "codec": "opus",
            "source": f"espeak-ng -v {args.voice} -s {args.rate}",
            "clips": {name: f"{name}.ogg" for name in sorted(vocabulary)},
        }
        (out / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )

        lengths = {name: duration(out / f"{name}.ogg", work) for name in sorted(vocabulary)}
    short = {name: seconds for name, seconds in lengths.items() if seconds <= MIN_CLIP_SECONDS}
    total = sum(path.stat().st_size for path in out.iterdir() if path.is_file())
    shortest = min(lengths, key=lengths.__getitem__)
    longest = max(lengths, key=lengths.__getitem__)
    print(f"{len(lengths)} clips in {out}")
    print(
        f"shortest {shortest} {lengths[shortest]:.2f} s, longest {longest} {lengths[longest]:.2f} s"
    )
    for name in ("chime", "pause", "muwowi", "muwowif", "xin_moi_cong_dan_co_so_thu_tu"):
        if name in lengths:
            print(f"  {name}: {lengths[name]:.2f} s")
    print(f"total size {total / 1024:.0f} KiB")
    if short:
        print(f"clips too short: {short}", file=sys.stderr)
        return 1
    if total > MAX_PACK_BYTES:
        print(f"pack larger than {MAX_PACK_BYTES} bytes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
