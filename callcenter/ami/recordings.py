"""MixMonitor's files: are they closed yet, how long are they.

Asterisk writes a WAV header with zero sizes and fills it in when it
closes the file, so "the header's RIFF size matches the file" means
MixMonitor is done with it.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WavInfo:
    closed: bool
    size: int
    duration: float | None


def inspect(path: Path) -> WavInfo | None:
    """None if the file does not exist (yet)."""
    try:
        with open(path, "rb") as fh:
            header = fh.read(44)
            size = fh.seek(0, 2)
    except OSError:
        return None
    if len(header) < 44 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
        return WavInfo(closed=size > 0, size=size, duration=None)
    riff_size = struct.unpack("<I", header[4:8])[0]
    channels, rate = struct.unpack("<HI", header[22:28])
    bits = struct.unpack("<H", header[34:36])[0]
    bytes_per_second = rate * channels * max(bits // 8, 1)
    duration = round((size - 44) / bytes_per_second, 3) if bytes_per_second else None
    return WavInfo(closed=riff_size + 8 == size, size=size, duration=duration)
