"""Leaf matchers: ``match(units) -> set[(uid, leaf)]`` — the one interface durable-rules is allowed behind.

``ReferenceMatcher`` compares in Python (the reference's ``compare``); ``DurableMatcher`` asks durable-rules,
in a child process, with every guard of durable-rules.md §7:

* every rule is ``{"$and": [{"t": "unit"}, <leaf>]}`` (a rule that can match the engine's own state fact
  loops forever) and every ruleset has a catch-all ``{"t": "unit"}`` rule (a fact matching nothing makes the
  whole batch's actions vanish, then ``delete_state`` segfaults);
* ≤ 40 rules per ruleset (error 303 above ~64 matches per fact; a hang above 512 sibling nodes);
* facts only, one sid (no ``sid`` key), ``uid`` taken from the fact; ``assert_facts`` in batches of ≤ 1,000
  units, then ``delete_state``; no timer threads (``QuietHost``);
* any exception, a swallowed action exception, a crash or the timeout → the batch is invalid: its units are
  matched by the reference instead, and the child is replaced;
* data invariants: only values ``leaves.encode`` accepts, of the constant's type, ≤ 41 properties per fact.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from evaluator.durable_engine.leaves import Leaf, encode
from evaluator.expr.interp import compare

ROOT = Path(__file__).resolve().parents[2]  # so the child imports this same checkout
RULES_PER_RULESET = 40  # 39 leaves + the catch-all
BATCH = 1000
UnitFacts = tuple[int, dict[int, Any]]  # (uid, leaf index → operand value)


class LeafMatcher(Protocol):
    def match(self, units: list[UnitFacts]) -> set[tuple[int, int]]: ...


@dataclass
class ReferenceMatcher:
    """The same interface answered by the reference's own comparison (and the fallback for invalid batches)."""

    leaves: list[Leaf]

    def match(self, units: list[UnitFacts]) -> set[tuple[int, int]]:
        return {(uid, i) for uid, values in units for i, v in values.items()
                if compare(self.leaves[i].op, v, self.leaves[i].constant)}


def rulesets(leaves: list[Leaf]) -> tuple[dict[str, dict[str, Any]], dict[int, tuple[str, str]]]:
    """Durable ruleset definitions, and where each leaf lives: leaf index → (ruleset, fact property)."""
    definitions: dict[str, dict[str, Any]] = {}
    where: dict[int, tuple[str, str]] = {}
    per = RULES_PER_RULESET - 1
    for start in range(0, len(leaves), per):
        name = f"rs{start // per}"
        rules: dict[str, Any] = {}
        for j, leaf in enumerate(leaves[start:start + per]):
            prop = f"v{j}"
            rules[leaf.name] = {"all": [{"m": {"$and": [{"t": "unit"}, leaf.condition(prop)]}}], "run": leaf.name}
            where[leaf.index] = (name, prop)
        rules["ALL"] = {"all": [{"m": {"t": "unit"}}], "run": "noop"}
        definitions[name] = rules
    return definitions, where


@dataclass
class DurableMatcher:
    leaves: list[Leaf]
    timeout: float = 60.0
    batch_size: int = BATCH
    invalid: dict[int, str] = field(default_factory=dict)  # uid → why its batch was not trusted
    restarts: int = 0
    child_threads: int | None = None
    keep_child: bool = False  # civic batch: one child per worker for all its chunks (``close()`` at the end)

    def __post_init__(self) -> None:
        self.definitions, self.where = rulesets(self.leaves)
        self._process: Any = None
        self._conn: Any = None

    # --- child lifecycle -----------------------------------------------------------------------------
    def _start(self) -> None:
        from evaluator.durable_engine.child import Channel

        self._process = subprocess.Popen([sys.executable, "-m", "evaluator.durable_engine.child"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, cwd=str(ROOT))
        self._conn = Channel(self._process.stdout, self._process.stdin)
        self._conn.send(("rulesets", self.definitions))
        reply = self._receive()
        if reply is None or reply[0] != "ready":
            self._stop()
            raise RuntimeError(f"durable-rules 子进程无法启动：{reply[1] if reply else '超时或崩溃'}")
        self.child_threads = reply[1]

    def _receive(self) -> Any:
        try:
            if self._conn.poll(self.timeout):
                return self._conn.recv()
        except (EOFError, OSError, ValueError):
            return None
        return None

    def _stop(self) -> None:
        if self._process is None:
            return
        with contextlib.suppress(OSError, ValueError):
            self._conn.send(("stop",))
        try:
            self._process.wait(2)
        except subprocess.TimeoutExpired:
            self._process.kill()  # only the child this matcher started, by its own handle
            self._process.wait()
        self._conn.close()
        self._process = None

    # --- matching ------------------------------------------------------------------------------------
    def facts(self, batch: list[UnitFacts]) -> dict[str, list[dict[str, Any]]]:
        by_ruleset: dict[str, list[dict[str, Any]]] = {name: [] for name in self.definitions}
        rows: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in self.definitions}
        for uid, values in batch:
            for name in self.definitions:
                rows[name][uid] = {"t": "unit", "uid": uid}
            for leaf, value in values.items():
                name, prop = self.where[leaf]
                rows[name][uid][prop] = encode(value)
        for name in self.definitions:
            by_ruleset[name] = [rows[name][uid] for uid, _ in batch]
        return by_ruleset

    def match(self, units: list[UnitFacts]) -> set[tuple[int, int]]:
        uids = [uid for uid, _ in units]
        if len(set(uids)) != len(uids):
            raise ValueError("uid 重复：每个事实的 uid 必须唯一")
        matched: set[tuple[int, int]] = set()
        if not self.leaves or not units:
            return matched
        try:
            for number, start in enumerate(range(0, len(units), self.batch_size)):
                batch = units[start:start + self.batch_size]
                result = self._run_batch(number, batch)
                if isinstance(result, str):
                    self.invalid.update({uid: result for uid, _ in batch})
                else:
                    matched |= result
        finally:
            if not self.keep_child:
                self._stop()
        return matched

    def close(self) -> None:
        """Stop the child a ``keep_child`` matcher kept running between calls."""
        self._stop()

    def _run_batch(self, number: int, batch: list[UnitFacts]) -> set[tuple[int, int]] | str:
        if self._process is None:
            self._start()
        try:
            self._conn.send(("batch", number, self.facts(batch)))
        except (OSError, ValueError) as exc:
            self._replace()
            return f"无法发送：{exc}"
        reply = self._receive()
        if reply is None:
            self._replace()
            return "子进程崩溃或超时"
        if reply[0] != "ok":
            self._replace()
            return str(reply[2])
        return {(uid, leaf) for uid, leaf in reply[2]}

    def _replace(self) -> None:
        self._stop()
        self.restarts += 1
