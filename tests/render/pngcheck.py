"""A cheap “is this screenshot blank?” check on a PNG, without an imaging library in the test dependencies.

A PNG row is stored filtered (each byte minus a neighbour), so a row of one flat colour is made of a handful of
distinct byte values whatever filter the encoder chose, while a row crossing text, bars or borders has dozens.
The share of such “rich” rows is near 0 for a blank page and 0.4–0.5 for the report.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

SIGNATURE = b"\x89PNG\r\n\x1a\n"
RICH_ROW_DISTINCT_BYTES = 16


@dataclass(frozen=True)
class PngInfo:
    width: int
    height: int
    rich_row_share: float


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == SIGNATURE, "不是 PNG 文件"
    out, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        out.append((data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]))
        pos += 12 + length
    return out


def inspect_png(path: Path) -> PngInfo:
    chunks = _chunks(path.read_bytes())
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"意外的 PNG 格式：depth={depth} colour={colour}"
    stride = width * (3 if colour == 2 else 4)
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    rich = sum(1 for y in range(height)
               if len(set(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])) >= RICH_ROW_DISTINCT_BYTES)
    return PngInfo(width, height, rich / height)
