"""Text encodings of exports: detected from the bytes, never assumed from the file name.

Order of trust: a byte-order mark, then strict UTF-8, then the Chinese national encodings (GBK, then
its superset GB18030), and only then charset-normalizer's guess.
"""
from __future__ import annotations

import codecs

BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class NotText(ValueError):
    """The bytes are not text in any encoding we accept."""


def bom_encoding(raw: bytes) -> str | None:
    for bom, name in BOMS:
        if raw.startswith(bom):
            return name
    return None


def _utf16_without_bom(raw: bytes) -> str | None:
    # Mostly-ASCII UTF-16 has a zero in every other byte; that pattern is not found in other text.
    sample = raw[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0) / len(sample[0::2])
    odd = sample[1::2].count(0) / len(sample[1::2])
    if odd > 0.3 and even < 0.05:
        return "utf-16-le"
    if even > 0.3 and odd < 0.05:
        return "utf-16-be"
    return None


def looks_binary(text: str) -> bool:
    sample = text[:65536]
    if not sample:
        return False
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f\v")
    return "\x00" in sample or controls / len(sample) > 0.01


def decode(raw: bytes) -> tuple[str, str]:
    """The text and the name of the encoding it was read with."""
    name = bom_encoding(raw)
    if name:
        try:
            return raw.decode(name), name
        except UnicodeDecodeError as exc:
            raise NotText(f"starts with a {name} byte-order mark but is not valid {name} ({exc.reason})") from None
    if b"\x00" not in raw[:65536]:
        for name in ("utf-8", "gbk", "gb18030"):
            try:
                return raw.decode(name), name
            except UnicodeDecodeError:
                continue
    name = _utf16_without_bom(raw)
    if name:
        try:
            return raw.decode(name), name
        except UnicodeDecodeError:
            pass
    return _guess(raw)


def _guess(raw: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    best = from_bytes(raw[: 1 << 20]).best()
    if best is None or best.encoding is None:
        raise NotText("binary data, not a text export (no known text encoding fits)")
    try:
        text = raw.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        raise NotText("binary data, not a text export (no known text encoding fits)") from None
    return text, best.encoding


def decode_head(raw: bytes, limit: int = 1 << 16) -> tuple[str, str] | None:
    """The start of the file, decoded cheaply when it is UTF-8 or carries a BOM; None otherwise.

    Lets the big-file path look at the header without decoding (and copying) the whole file."""
    name = bom_encoding(raw) or "utf-8"
    decoder = codecs.getincrementaldecoder(name)()
    try:
        text = decoder.decode(raw[:limit], final=len(raw) <= limit)
    except UnicodeDecodeError:
        return None
    return text, name
