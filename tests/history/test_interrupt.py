"""Killing the process in the middle of recording a run leaves the database as before the run."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import RULES


def _evaluate(tmp: Path) -> Path:
    out = tmp / "run.json"
    subprocess.run([sys.executable, "-m", "cli", "evaluate", str(RULES / "wmdw/samples/average.yaml"), str(RULES / "wmdw/samples/weak.yaml"),
                    "-f", "json", "-o", str(out)], check=True, capture_output=True, cwd=RULES.parent)
    return out


def test_sigkill_during_record_rolls_back(tmp_path: Path) -> None:
    db = tmp_path / "civic.db"
    result = _evaluate(tmp_path)
    subprocess.run([sys.executable, "-m", "cli", "record", str(result), "--db", str(db), "--label", "first"], check=True,
                   capture_output=True, cwd=RULES.parent)
    marker = tmp_path / "paused"
    env = {**os.environ, "CIVIC_TEST_PAUSE_AFTER_UNITS": "1", "CIVIC_TEST_PAUSE_MARKER": str(marker)}
    proc = subprocess.Popen([sys.executable, "-m", "cli", "record", str(result), "--db", str(db), "--label", "second"],
                            env=env, cwd=RULES.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert proc.poll() is None, "record ended before reaching the pause"
            assert time.monotonic() < deadline, "record never reached the pause"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [r[0] for r in conn.execute("SELECT label FROM runs")] == ["first"]
    assert conn.execute("SELECT COUNT(*) FROM unit_results").fetchone()[0] == 2
    assert conn.execute("SELECT MAX(last_run_id) FROM findings").fetchone()[0] == 1
