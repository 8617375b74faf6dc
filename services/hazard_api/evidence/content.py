"""What an uploaded file is, judged by its bytes (the client's name and content type are not
trusted): JPEG, PNG, PDF, and the WebP and HEIC photos phones take.

A file must have its format's structure, not only its first bytes: a PNG signature followed by
an HTML page is refused. Each check is what the format itself requires (a PNG starts with its
IHDR chunk and ends with IEND; a JPEG's first segment is a marker segment and its image ends
with EOI; a PDF has its end-of-file marker near the end; WebP's RIFF size is the file's size;
HEIC's first box is `ftyp` with an HEIF brand). And since browsers sniff the first 512 bytes
for markup, a file whose head holds an HTML tag is refused whatever it starts with.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"
WEBP = "image/webp"
HEIC = "image/heic"

EXTENSIONS = {JPEG: ".jpg", PNG: ".png", PDF: ".pdf", WEBP: ".webp", HEIC: ".heic"}
IMAGES = frozenset({JPEG, PNG, WEBP, HEIC})
LABELS = {JPEG: "JPEG", PNG: "PNG", PDF: "PDF", WEBP: "WebP", HEIC: "HEIC"}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})
# What browsers look for when they sniff a page (WHATWG MIME Sniffing's HTML and XML patterns;
# the one- and two-letter tags are left out: compressed image data holds them by chance).
_MARKUP = re.compile(
    rb"<(!doctype html|html|head|script|iframe|div|font|table|style|title|body|svg|\?xml|!--)"
    rb"[\s>/]",
    re.IGNORECASE,
)
SNIFFED_BYTES = 512


def _png(data: bytes) -> bool:
    return (
        data.startswith(_PNG_SIGNATURE)
        and data[8:16] == b"\x00\x00\x00\x0dIHDR"
        and data.endswith(_PNG_END)
    )


def _jpeg(data: bytes) -> bool:
    # SOI, then a marker segment (APPn, DQT, SOF, DHT …); EOI after it. Phones may append data
    # after EOI (motion photos), so EOI need not be the last two bytes.
    return (
        data.startswith(b"\xff\xd8\xff")
        and len(data) > 4
        and data[3] >= 0xC0
        and b"\xff\xd9" in data[4:]
    )


def _pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]


def _webp(data: bytes) -> bool:
    return (
        data.startswith(b"RIFF")
        and data[8:12] == b"WEBP"
        and int.from_bytes(data[4:8], "little") + 8 == len(data)
    )


def _heic(data: bytes) -> bool:
    size = int.from_bytes(data[0:4], "big")
    return data[4:8] == b"ftyp" and 16 <= size <= len(data) and data[8:12] in _HEIF_BRANDS


CHECKS: dict[str, Callable[[bytes], bool]] = {
    JPEG: _jpeg,
    PNG: _png,
    PDF: _pdf,
    WEBP: _webp,
    HEIC: _heic,
}


def has_markup(data: bytes) -> bool:
    return _MARKUP.search(data[:SNIFFED_BYTES]) is not None


def detect(data: bytes, allowed: Sequence[str]) -> str | None:
    """The allowed type whose structure the bytes have, or None."""
    if has_markup(data):
        return None
    for content_type in allowed:
        check = CHECKS.get(content_type)
        if check is not None and check(data):
            return content_type
    return None


def describe(allowed: Sequence[str]) -> str:
    return "、".join(LABELS.get(t, t) for t in allowed)
