"""Byte-stable Office files: rewrite a .xlsx/.docx zip with fixed entry timestamps.

Why: ``zipfile.writestr`` stamps every entry with the current time, and both openpyxl and python-docx write through
it, so two renders of the same report would differ in the zip headers. Re-packing with a fixed timestamp (and the
original entry order, which keeps ``[Content_Types].xml`` first) makes the same report give the same bytes.
"""

from __future__ import annotations

import io
import zipfile

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def normalize_zip(data: bytes) -> bytes:
    """Return ``data`` re-packed with fixed timestamps and permissions, deflate-compressed."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
