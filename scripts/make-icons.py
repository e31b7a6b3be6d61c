#!/usr/bin/env python3
"""Draws the app's icons (three rising bars on the accent colour) as PNGs in
assets/, with a tiny PNG writer (zlib + CRC): no image library needed."""
import struct
import zlib
from pathlib import Path

ACCENT = (0x24, 0x56, 0xC7)
WHITE = (0xFF, 0xFF, 0xFF)
BARS = [(0.24, 0.30), (0.43, 0.45), (0.62, 0.60)]  # left edge, height (fractions)


def pixel(u, v):
    for left, height in BARS:
        if left <= u < left + 0.14 and 0.78 - height <= v < 0.78:
            return WHITE
    if 0.2 <= u < 0.8 and 0.80 <= v < 0.83:
        return WHITE
    return ACCENT


def png(size, path):
    raw = b"".join(
        bytes([0]) + b"".join(bytes(pixel(x / size, y / size)) for x in range(size)) for y in range(size)
    )

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    out = Path(__file__).resolve().parent.parent / "assets"
    out.mkdir(exist_ok=True)
    for size in (192, 512):
        png(size, out / f"icon-{size}.png")
