"""Byte-stable Office files: rewrite a .xlsx/.docx zip with fixed entry timestamps.

Why: ``zipfile.writestr`` stamps every entry with the current time, and both openpyxl and python-docx write through
it, so two renders of the same report would differ in the zip headers. Re-packing with a fixed timestamp (and the
original entry order, which keeps ``[Content_Types].xml`` first) makes the same report give the same bytes.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from typing import IO

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
COPY_CHUNK = 1 << 20


def normalize_zip(data: bytes) -> bytes:
    """Return ``data`` re-packed with fixed timestamps and permissions, deflate-compressed."""
    out = io.BytesIO()
    normalize_zip_stream(io.BytesIO(data), out)
    return out.getvalue()


def normalize_zip_stream(source: IO[bytes], target: IO[bytes]) -> None:
    """``normalize_zip`` from one seekable file to another, one entry at a time in 1 MB pieces.

    Why: the sheets of a province's 汇总.xlsx are hundreds of megabytes of XML; the whole-bytes form would hold the
    file and its largest entry in memory. The bytes are the same: the entry's size is set before writing (as
    ``writestr`` does) and deflate's output does not depend on how its input is divided.
    """
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as packed:
        for info in original.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            entry.file_size = info.file_size
            with original.open(info) as reader, packed.open(entry, "w") as writer:
                shutil.copyfileobj(reader, writer, COPY_CHUNK)
