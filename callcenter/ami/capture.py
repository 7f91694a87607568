"""Record what a real Asterisk says over AMI, for fixtures and benchmarks.

The recording is the raw event text with ``\\n`` line ends (panoramisk's
readable fixture format): ``read_transcript`` turns it back into the exact
bytes Asterisk sent, so replays go through the same parser as live traffic.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from .actions import check_text

EOL = "\r\n"


async def capture(host: str, port: int, username: str, secret: str, target: Path,
                  stop: asyncio.Event) -> int:
    """Log in and append every event to ``target`` until ``stop``; returns the count."""
    check_text("username", username)
    check_text("secret", secret)
    reader, writer = await asyncio.open_connection(host, port)
    count = 0
    try:
        await reader.readline()  # "Asterisk Call Manager/x.y"
        writer.write(f"Action: Login{EOL}Username: {username}{EOL}Secret: {secret}{EOL}"
                     f"Events: on{EOL}{EOL}".encode())
        reply = await reader.readuntil(b"\r\n\r\n")
        if b"Success" not in reply:
            raise PermissionError("AMI login refused")
        with open(target, "w", encoding="utf-8", newline="\n") as out:
            while not stop.is_set():
                reading = asyncio.ensure_future(reader.readuntil(b"\r\n\r\n"))
                stopping = asyncio.ensure_future(stop.wait())
                done, _ = await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if reading not in done:
                    reading.cancel()
                    break
                stopping.cancel()
                block = reading.result().decode("utf-8", "replace").strip()
                if block.startswith("Event: "):
                    out.write(block.replace(EOL, "\n") + "\n\n")
                    count += 1
    finally:
        writer.close()
    return count


def read_transcript(path: Path) -> bytes:
    """A recorded transcript as the bytes Asterisk put on the wire."""
    text = Path(path).read_text(encoding="utf-8")
    blocks = [b.strip("\n") for b in text.split("\n\n") if b.strip() and not b.startswith("#")]
    return "".join(b.replace("\n", EOL) + EOL + EOL for b in blocks).encode()
