"""Nothing is lost when ``civic batch`` is interrupted: Ctrl-C (SIGINT) or a hard kill (SIGKILL) in the middle of
scoring or of writing the per-unit files leaves the previous output folder byte for byte as it was, and no
worker process behind. A run killed while recording a batch into the history database leaves the database as
before. Each case runs the real command in a subprocess on 200 generated units.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from evaluator.loader import load_pack_or_raise
from evaluator.sample_gen import generate, unit_yaml

ROOT = Path(__file__).resolve().parent.parent
UNITS = 200


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(x) for x in (task / "children").read_text().split()}
        except OSError:
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def units(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("intr") / "单位"
    folder.mkdir()
    for unit in generate(load_pack_or_raise("wmdw"), UNITS, 3, 2024):
        (folder / f"{unit['unit']['id']}.yaml").write_text(unit_yaml(unit), encoding="utf-8")
    return folder


def _civic(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "cli", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _staging(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.*"))


def _scoring(out: Path) -> bool:
    """Some units are scored: the scratch file of results in the staging folder has grown."""
    return any((s / ".results.unsorted").is_file() and (s / ".results.unsorted").stat().st_size > 100_000 for s in _staging(out))


def _rendering(out: Path) -> bool:
    """Scoring is over and the per-unit folders are being written."""
    return any(sum(1 for p in s.iterdir() if p.is_dir()) >= 10 for s in _staging(out))


def _wait(proc: subprocess.Popen[bytes], ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 240
    while not ready():
        assert proc.poll() is None, f"civic batch ended before {what}: {proc.communicate()[1].decode('utf-8', 'replace')}"
        assert time.monotonic() < deadline, f"civic batch never reached {what}"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def previous(units: Path) -> tuple[Path, dict[str, bytes]]:
    """A finished earlier run whose output must survive every interruption below."""
    out = units.parent / "结果"
    done = subprocess.run([sys.executable, "-m", "cli", "batch", str(units), "--pack", "wmdw", "-o", str(out), "--jobs", "2"],
                          cwd=ROOT, capture_output=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    return out, _tree(out)


CASES = [
    pytest.param(signal.SIGINT, "1", _scoring, id="sigint-scoring"),
    pytest.param(signal.SIGINT, "2", _rendering, id="sigint-rendering-2-workers"),
    pytest.param(signal.SIGKILL, "1", _scoring, id="sigkill-scoring"),
    pytest.param(signal.SIGKILL, "2", _rendering, id="sigkill-rendering-2-workers"),
]


@pytest.mark.parametrize(("sig", "jobs", "phase"), CASES)
def test_interrupted_batch_leaves_previous_output_intact(previous: tuple[Path, dict[str, bytes]], units: Path,
                                                         sig: signal.Signals, jobs: str, phase: Callable[[Path], bool]) -> None:
    out, before = previous
    extra = units / "新增单位.yaml"  # the interrupted run would produce different outputs
    extra.write_text(unit_yaml(next(iter(generate(load_pack_or_raise("wmdw"), 1, 99, 2024)))), encoding="utf-8")
    try:
        proc = _civic("batch", str(units), "--pack", "wmdw", "-o", str(out), "--jobs", jobs)
        _wait(proc, lambda: phase(out), phase.__name__)
        workers = _children(proc.pid)
        os.kill(proc.pid, sig)
        _, stderr = proc.communicate(timeout=60)
    finally:
        extra.unlink()
    assert _tree(out) == before, "中断后原有的输出文件夹被改动了"
    deadline = time.monotonic() + 20
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if _alive(w)], "中断后仍有工作进程在运行"
    text = stderr.decode("utf-8", "replace")
    assert "Traceback" not in text
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "已中断" in text, text
        assert _staging(out) == [], "Ctrl-C 后留下了临时文件夹"
    else:
        assert proc.returncode == -signal.SIGKILL
        for leftover in _staging(out):  # a hard kill cannot clean up: what is left is hidden and never read as input
            assert leftover.name.startswith(".")
            leftover.rename(leftover.parent / f"{leftover.name}-已检查")  # keep it out of the next case's count


def test_a_run_after_a_kill_replaces_the_output(previous: tuple[Path, dict[str, bytes]], units: Path) -> None:
    out, before = previous
    changed = units / "新增单位.yaml"
    changed.write_text(unit_yaml(next(iter(generate(load_pack_or_raise("wmdw"), 1, 99, 2024)))), encoding="utf-8")
    try:
        done = subprocess.run([sys.executable, "-m", "cli", "batch", str(units), "--pack", "wmdw", "-o", str(out), "--jobs", "2"],
                              cwd=ROOT, capture_output=True, timeout=600, check=False)
    finally:
        changed.unlink()
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    after = _tree(out)
    assert len([k for k in after if k.endswith("自评报告.md")]) == UNITS + 1
    assert after != before


def test_sigkill_while_recording_a_batch_keeps_the_history_database(previous: tuple[Path, dict[str, bytes]], tmp_path: Path) -> None:
    out, _ = previous
    scored = len((out / "results.jsonl").read_text(encoding="utf-8").splitlines())
    db = tmp_path / "civic.db"
    first = subprocess.run([sys.executable, "-m", "cli", "record", str(out), "--db", str(db), "--label", "第一轮"], cwd=ROOT,
                           capture_output=True, timeout=300, check=False)
    assert first.returncode == 0, first.stderr.decode("utf-8", "replace")
    marker = tmp_path / "paused"
    env = {**os.environ, "CIVIC_TEST_PAUSE_AFTER_UNITS": "50", "CIVIC_TEST_PAUSE_MARKER": str(marker)}
    proc = subprocess.Popen([sys.executable, "-m", "cli", "record", str(out), "--db", str(db), "--label", "第二轮"], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(proc, marker.exists, "the pause inside the transaction")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [r[0] for r in conn.execute("SELECT label FROM runs")] == ["第一轮"]
    assert conn.execute("SELECT COUNT(*) FROM unit_results").fetchone()[0] == scored
