"""The durable-rules side, run only in a child process (crashes, hangs and heap corruption stay there).

The child is ``python -m evaluator.durable_engine.child``; messages are length-prefixed pickles over its
stdin/stdout (``Channel``), so no main module is re-imported as with ``multiprocessing``. The parent sends ``("rulesets", {name: definition})`` once, then
``("batch", number, {ruleset: [facts]})`` per batch of ≤ 1,000 units and finally ``("stop",)``. The child
answers ``("ready",)`` / ``("ok", number, [(uid, leaf), …])`` / ``("invalid", number, reason)``. After an
invalid batch the child exits: its engine state is no longer trusted (durable-rules.md §3: never
``delete_state`` after an error).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import struct
import sys
import threading
from typing import Any, BinaryIO


class Channel:
    """Length-prefixed pickle messages over two pipes; ``recv`` gives up after ``timeout`` seconds."""

    def __init__(self, reader: BinaryIO, writer: BinaryIO):
        self.reader, self.writer = reader, writer

    def send(self, message: Any) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self.writer.write(struct.pack("<Q", len(data)) + data)
        self.writer.flush()

    def poll(self, timeout: float | None) -> bool:
        ready, _, _ = select.select([self.reader], [], [], timeout)
        return bool(ready)

    def recv(self) -> Any:
        header = self._read(8)
        return pickle.loads(self._read(struct.unpack("<Q", header)[0]))  # noqa: S301 - our own child process

    def _read(self, size: int) -> bytes:
        chunks, left = [], size
        while left:
            chunk = os.read(self.reader.fileno(), min(left, 1 << 20))
            if not chunk:
                raise EOFError("channel closed")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        for stream in (self.reader, self.writer):
            with contextlib.suppress(OSError):
                stream.close()


def make_host(fired: list[tuple[int, int]]) -> Any:
    """A ``durable.engine.Host`` that starts no timer threads and resolves ``"run": "L<n>"`` to a recorder."""
    from durable import engine as dengine

    class QuietHost(dengine.Host):
        def _run(self) -> None:  # no background dispatcher: every action runs inside assert_facts
            return None

        def get_action(self, action_name: str) -> Any:
            if action_name == "noop":
                return lambda c: None
            leaf = int(action_name[1:])
            return lambda c: fired.append((int(c.m["uid"]), leaf))

    return QuietHost()


def run_batch(host: Any, fired: list[tuple[int, int]], facts: dict[str, list[dict[str, Any]]]) -> list[tuple[int, int]]:
    """Assert every ruleset's facts (one sid, facts only) and return the firings; raise on anything odd."""
    fired.clear()
    for name in sorted(facts):
        host.assert_facts(name, facts[name])  # any exception: the caller declares the batch invalid
        state = host.get_state(name, None)
        if "exception" in state:  # exceptions inside actions are swallowed into the state (§2)
            raise RuntimeError(f"action failed: {state['exception']}")
        host.delete_state(name, None)  # frees the facts; memory stays flat
    return sorted(set(fired))  # $or never used, but deduplicate anyway


def serve(conn: Any) -> None:
    """Child process entry point."""
    fired: list[tuple[int, int]] = []
    try:
        host = make_host(fired)
        message = conn.recv()
        host.set_rulesets(message[1])
        threads = threading.active_count()
        conn.send(("ready", threads))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which falls back to the reference
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    while True:
        message = conn.recv()
        if message[0] == "stop":
            return
        _, number, facts = message
        try:
            conn.send(("ok", number, run_batch(host, fired, facts)))
        except BaseException as exc:  # noqa: BLE001
            conn.send(("invalid", number, f"{type(exc).__name__}: {exc}"))
            return


if __name__ == "__main__":
    stdout = sys.stdout.buffer
    sys.stdout = sys.stderr  # anything printed by durable-rules must not corrupt the channel
    serve(Channel(sys.stdin.buffer, stdout))
