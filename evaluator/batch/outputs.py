"""The output folder of ``civic batch``, written as a whole or not at all.

Everything is written into a staging folder next to OUTDIR (same file system), then swapped in with two renames
while Ctrl-C is held back. A crash or Ctrl-C before the swap removes the staging folder and leaves the previous
OUTDIR exactly as it was; after the swap the previous contents are deleted. A folder that was not written by
``civic batch`` (no marker file) and is not empty is never replaced.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evaluator.errors import usage_error

MARKER = ".civic-batch"


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

    def __init__(self, outdir: Path):
        check_outdir(outdir)
        self.outdir = outdir
        outdir.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.tmp-", dir=outdir.parent))
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
                old = Path(tempfile.mkdtemp(prefix=f".{self.outdir.name}.old-", dir=self.outdir.parent))
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
