"""Worker processes that import only what their job needs.

A spawned child normally re-runs the parent's main script first (the
``callcenter`` command, a benchmark): the database, web and CLI stacks, ~40%
on top of the model's memory, for nothing.  The transcription workers need
only ``pipeline``, which the pickled job imports, so their spawn skips the
main script.  This module is imported by the children too (the process
object is pickled), so it imports nothing but the standard library.
"""
from __future__ import annotations

import threading
from multiprocessing import context, popen_spawn_posix, spawn
from typing import Any

_prep_lock = threading.Lock()


def _without_main(name: str) -> dict[str, Any]:
    data = _stdlib_preparation_data(name)
    data.pop("init_main_from_name", None)
    data.pop("init_main_from_path", None)
    return data


_stdlib_preparation_data = spawn.get_preparation_data


class _LeanPopen(popen_spawn_posix.Popen):
    def _launch(self, process_obj: Any) -> None:
        with _prep_lock:
            spawn.get_preparation_data = _without_main
            try:
                parent: Any = super()  # _launch is the stdlib's private method (no stub)
                parent._launch(process_obj)
            finally:
                spawn.get_preparation_data = _stdlib_preparation_data


class LeanSpawnProcess(context.SpawnProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> _LeanPopen:
        return _LeanPopen(process_obj)


class LeanSpawnContext(context.SpawnContext):
    """``spawn`` whose children import only what their work needs."""

    Process = LeanSpawnProcess
