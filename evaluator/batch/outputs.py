"""The output folder of ``civic batch``, written as a whole or not at all.

Everything is written into a staging folder next to OUTDIR (same file system), then swapped in with two renames
while Ctrl-C is held back. A crash or Ctrl-C before the swap removes the staging folder and leaves the previous
OUTDIR exactly as it was; after the swap the previous contents are deleted. A folder that was not written by
``civic batch`` (no marker file) and is not empty is never replaced.

The staging folder's name carries the writing process's id (``.OUTDIR.tmp-<pid>-<random>``). A batch killed
with SIGKILL (or a power cut) cannot clean up, so the next run of the same OUTDIR removes the staging folders
whose process no longer exists — and only those: a live process's folder (a batch still running) is left alone.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from evaluator.errors import usage_error

MARKER = ".civic-batch"


def _staging_prefix(outdir: Path, kind: str) -> str:
    return f".{outdir.name}.{kind}-{os.getpid()}-"


def _alive(pid: int) -> bool:
    """Whether a process with this id exists (a reused id counts as alive: its folder is kept, the safe side)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def stale_staging(outdir: Path) -> list[Path]:
    """Staging (``tmp``) and swap (``old``) folders of this OUTDIR left by batches whose process has died."""
    pattern = re.compile(rf"^\.{re.escape(outdir.name)}\.(tmp|old)-(\d+)-[^/]*$")
    found = []
    parent = outdir.parent if str(outdir.parent) else Path(".")
    if not parent.is_dir():
        return []
    for entry in sorted(parent.iterdir()):
        match = pattern.match(entry.name)
        if match is None or not entry.is_dir() or entry.is_symlink() or _alive(int(match.group(2))):
            continue
        ours = (entry / MARKER).is_file() if match.group(1) == "tmp" else (entry / "previous" / MARKER).is_file() or not any(entry.iterdir())
        if ours:
            found.append(entry)
    return found


def remove_stale_staging(outdir: Path, say: Callable[[str], None]) -> list[Path]:
    """Remove what ``stale_staging`` finds and say so in one Chinese line."""
    stale = stale_staging(outdir)
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    if stale:
        say(f"已删除上次中断的 civic batch 留下的临时文件夹（写入它的进程已不存在）：{'、'.join(p.name for p in stale)}")
    return stale


def _say_on_stderr(text: str) -> None:
    import click

    click.echo(text, err=True)


def check_outdir(outdir: Path) -> None:
    if outdir.exists() and not outdir.is_dir():
        raise usage_error("U030", f"输出位置 {outdir} 是一个文件，不是文件夹", hint="换一个输出文件夹名")
    if outdir.is_dir() and any(outdir.iterdir()) and not (outdir / MARKER).is_file():
        raise usage_error("U031", f"输出文件夹 {outdir} 不为空，且不是 civic batch 的输出", hint="换一个新的文件夹，或先清空它（本程序不会删除其他文件）")


@contextlib.contextmanager
def _sigint_held() -> Iterator[None]:
    """Hold Ctrl-C during the swap so OUTDIR is never left missing between the two renames."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[Any] = []
    previous = signal.signal(signal.SIGINT, lambda *args: caught.append(args))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            raise KeyboardInterrupt


class Staging:
    """A temporary folder beside OUTDIR; ``commit()`` replaces OUTDIR with it."""

    def __init__(self, outdir: Path, say: Callable[[str], None] = _say_on_stderr):
        check_outdir(outdir)
        self.outdir = outdir
        outdir.parent.mkdir(parents=True, exist_ok=True)
        self.removed = remove_stale_staging(outdir, say)
        self.path = Path(tempfile.mkdtemp(prefix=_staging_prefix(outdir, "tmp"), dir=outdir.parent))
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(self.path, 0o777 & ~mask)  # mkdtemp makes 0700; the output folder gets the usual permissions
        (self.path / MARKER).write_text("civic batch output\n", encoding="utf-8")

    def file(self, name: str) -> Path:
        return self.path / name

    def commit(self) -> None:
        old: Path | None = None
        with _sigint_held():
            if self.outdir.exists():
                old = Path(tempfile.mkdtemp(prefix=_staging_prefix(self.outdir, "old"), dir=self.outdir.parent))
                os.rename(self.outdir, old / "previous")
            os.rename(self.path, self.outdir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is not None or self.path.exists():
            self.discard()


class LineStore:
    """Result lines appended as they arrive; ``write_sorted`` copies them into results.jsonl in unit-id order."""

    def __init__(self, path: Path):
        self.path = path
        self.handle = path.open("w+b")
        self.index: dict[str, tuple[int, int]] = {}

    def put(self, unit_id: str, line: str) -> None:
        data = line.encode("utf-8")
        self.handle.seek(0, os.SEEK_END)
        self.index[unit_id] = (self.handle.tell(), len(data))
        self.handle.write(data)

    def get(self, unit_id: str) -> str:
        offset, length = self.index[unit_id]
        self.handle.seek(offset)
        return self.handle.read(length).decode("utf-8")

    def write_sorted(self, target: Path) -> dict[str, tuple[int, int]]:
        """Write ``target`` (one line per unit, sorted by id); returns each unit's (offset, length) in it."""
        positions: dict[str, tuple[int, int]] = {}
        with target.open("wb") as out:
            for unit_id in sorted(self.index):
                data = self.get(unit_id).encode("utf-8")
                positions[unit_id] = (out.tell(), len(data))
                out.write(data + b"\n")
        return positions

    def close(self) -> None:
        self.handle.close()
        self.path.unlink(missing_ok=True)
