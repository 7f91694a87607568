"""One reader for the WAV files MixMonitor writes: their format, sizes and whether they are closed.

Asterisk writes a header with zero sizes and fills it in when it closes
the file, so "the RIFF size matches the file" means MixMonitor is done
with it, and a data chunk promising more bytes than the file holds means
the recording was cut short.  Only the standard library is imported: the
transcription workers read headers too and start lean.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


@dataclass(frozen=True)
class WavHeader:
    size: int                       # bytes in the file now
    riff: bool                      # starts with RIFF....WAVE
    riff_size: int = 0              # what the RIFF header declares
    channels: int = 0
    rate: int = 0
    bits: int = 0
    data_offset: int | None = None  # where the samples start (None: no data chunk found)
    data_length: int = 0            # what the data chunk declares

    @property
    def closed(self) -> bool:
        """MixMonitor finished the file (a non-WAV file counts once it has bytes)."""
        return self.riff_size + 8 == self.size if self.riff else self.size > 0

    @property
    def bytes_per_second(self) -> int:
        return self.rate * self.channels * max(self.bits // 8, 1)

    @property
    def duration(self) -> float | None:
        """Seconds of audio really in the file (not what the header promises)."""
        if not self.riff or not self.bytes_per_second:
            return None
        start = self.data_offset if self.data_offset is not None else 44
        return round(max(0, self.size - start) / self.bytes_per_second, 3)

    @property
    def data_present(self) -> int:
        """Bytes of samples in the file after the data chunk's header."""
        return 0 if self.data_offset is None else max(0, self.size - self.data_offset)


def read_header(path: Path) -> WavHeader | None:
    """The file's header (None if the file does not exist or cannot be read)."""
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, 2)
            fh.seek(0)
            return _parse(fh, size)
    except OSError:
        return None


def _parse(fh: BinaryIO, size: int) -> WavHeader:
    head = fh.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return WavHeader(size=size, riff=False)
    riff_size = struct.unpack("<I", head[4:8])[0]
    channels = rate = bits = 0
    while (chunk := fh.read(8)) and len(chunk) == 8:
        cid, length = struct.unpack("<4sI", chunk)
        if cid == b"data":
            return WavHeader(size, True, riff_size, channels, rate, bits, fh.tell(), length)
        if cid == b"fmt " and length >= 16:
            fmt = fh.read(16)
            channels, rate = struct.unpack("<HI", fmt[2:8])
            bits = struct.unpack("<H", fmt[14:16])[0]
            length -= 16
        fh.seek(length + (length & 1), 1)
    return WavHeader(size, True, riff_size, channels, rate, bits)
