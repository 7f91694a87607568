"""What the soak measures from outside the services, on one asyncio thread.

* AGI timing: a relay on the port the dialplan dials (4573) in front of the
  real FastAGI service.  AGI is strictly question and answer, so the time
  from Asterisk's line (the header's end, or a command's result) to the
  server's next command is the server's own time: "first" for the first
  command, "command" for every later one.  Prompts play inside Asterisk and
  are not counted.
* Ring-to-pop: one desk stream per agent, as a browser holds it (the reader
  of bench/screen_pop.py); a pop's latency is its arrival minus the bridge's
  ring event time.  A stream that drops is opened again.  Each pop also
  carries the hub's stage times, kept in ``stages`` for the breakdown
  (AMI bridge -> writer's publish -> hub's receipt -> hub starts -> push -> desk).
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

from bench.screen_pop import login


class Probes:
    def __init__(self, agi_listen: int, agi_target: int, web_port: int, agents: list[str]) -> None:
        self.agi_listen, self.agi_target = agi_listen, agi_target
        self.web_port, self.agents = web_port, agents
        self.agi_first: list[float] = []
        self.agi_command: list[float] = []
        self.agi_command_at: list[float] = []  # when each of agi_command was answered (epoch seconds)
        self.agi_sessions = 0
        self.pops: list[float] = []
        self.pop_rung_at: list[float] = []  # the ring's time (epoch seconds) of each of pops
        self.stages: list[dict[str, Any]] = []
        self.desk_reconnects = 0
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="soak-probes", daemon=True)

    # -- lifecycle -----------------------------------------------------------
    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the AGI relay did not start")

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(15)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._run())

    async def _run(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._relay, "127.0.0.1", self.agi_listen, backlog=512)
        self._ready.set()
        desks = [asyncio.create_task(self._desk(name)) for name in self.agents]
        await self._stop.wait()
        server.close()
        for task in desks:
            task.cancel()
        await asyncio.gather(*desks, return_exceptions=True)

    # -- AGI relay -------------------------------------------------------------
    async def _relay(self, pbx_r: asyncio.StreamReader, pbx_w: asyncio.StreamWriter) -> None:
        try:
            agi_r, agi_w = await asyncio.open_connection("127.0.0.1", self.agi_target)
        except OSError:
            pbx_w.close()  # as if the service were down: the dialplan skips the IVR
            return
        self.agi_sessions += 1
        # since: when the PBX last wrote to the server (None once the server answered); first: the next answer
        # is to the AGI header; header: the header so far (None once it is complete).
        since: float | None = None
        first = True
        header: bytes | None = b""

        async def from_pbx() -> None:
            nonlocal since, header
            while data := await pbx_r.read(65536):
                if header is not None:
                    header += data
                    if b"\n\n" in header:
                        header, since = None, time.perf_counter()
                else:
                    since = time.perf_counter()
                agi_w.write(data)
                await agi_w.drain()
            agi_w.close()

        async def from_agi() -> None:
            nonlocal since, first
            while data := await agi_r.read(65536):
                if since is not None:
                    took = time.perf_counter() - since
                    (self.agi_first if first else self.agi_command).append(took)
                    if not first:
                        self.agi_command_at.append(time.time())
                    since, first = None, False
                pbx_w.write(data)
                await pbx_w.drain()
            pbx_w.close()

        await asyncio.gather(from_pbx(), from_agi(), return_exceptions=True)
        for writer in (agi_w, pbx_w):
            writer.close()

    # -- desk streams ----------------------------------------------------------
    async def _desk(self, username: str) -> None:
        assert self._stop is not None
        while not self._stop.is_set():
            try:
                cookie = await asyncio.to_thread(login, self.web_port, username)
                await self._read(cookie)
            except (OSError, AssertionError, AttributeError, ValueError, KeyError):
                pass
            if not self._stop.is_set():
                self.desk_reconnects += 1
                await asyncio.sleep(1.0)

    async def _read(self, cookie: str) -> None:
        """Read one desk stream as a browser does, a whole SSE message at a time."""
        assert self._stop is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", self.web_port)
        writer.write(f"GET /desk/events HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n"
                     "Accept: text/event-stream\r\n\r\n".encode())
        await writer.drain()
        try:
            while not self._stop.is_set():
                try:
                    message = await asyncio.wait_for(reader.readuntil(b"\n\n"), 0.5)
                except TimeoutError:
                    continue
                arrived = time.time()
                fields = dict(line.split(": ", 1) for line in message.decode(errors="replace").splitlines()
                              if ": " in line)
                if fields.get("event") == "pop":
                    data = json.loads(fields["data"])
                    self.pops.append(arrived - data["event_at"])
                    self.pop_rung_at.append(data["event_at"])
                    self.stages.append({**(data.get("stages") or {}), "desk": arrived})
        except asyncio.IncompleteReadError:
            pass  # the server closed the stream: _desk opens it again
        finally:
            writer.close()
