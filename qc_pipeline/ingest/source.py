"""One input file as bytes: its digest, its text, and the UTF-8 bytes the columnar reader wants."""
from __future__ import annotations

import functools
import hashlib
import io
import threading
from pathlib import Path
from typing import BinaryIO

from qc_pipeline.ingest.encoding import (MARKS, Damage, NotText, cr_only, decode, decode_head, looks_binary,
                                         streamable_encoding)
from qc_pipeline.ingest.errors import UnreadableFile

# Below this size hashing in the calling thread is cheaper than starting one.
_THREADED_HASH_BYTES = 1 << 20


class _Digest:
    """sha256 of the raw bytes, computed beside the parsing (hashlib releases the GIL)."""

    def __init__(self, raw: bytes):
        self._value: str | None = None
        self._thread = None
        if len(raw) < _THREADED_HASH_BYTES:
            self._value = hashlib.sha256(raw).hexdigest()
        else:
            self._thread = threading.Thread(target=self._run, args=(raw,), daemon=True)
            self._thread.start()

    def _run(self, raw: bytes) -> None:
        self._value = hashlib.sha256(raw).hexdigest()

    def value(self) -> str:
        if self._thread is not None:
            self._thread.join()
        assert self._value is not None
        return self._value


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    except OSError as exc:
        raise UnreadableFile(path, f"cannot be read ({exc.strerror or exc})") from None
    return digest.hexdigest()


# Enough of the start of a file to recognise it; a bigger file is read whole only if its reader needs it.
PREFIX_BYTES = 1 << 20


class Source:
    def __init__(self, path: Path, raw: bytes | None = None, *, prefix: bytes | None = None, size: int | None = None):
        self.path = path
        self._raw = raw
        self.prefix = raw[:PREFIX_BYTES] if raw is not None else (prefix or b"")
        self.size = len(raw) if raw is not None else (size or 0)
        self._digest = _Digest(raw) if raw is not None else None
        self._file_sha256: str | None = None
        self._text: str | None = None
        self.encoding: str | None = None
        # Lines holding bytes the encoding cannot read (see encoding.py), and the mark standing for them.
        self.damage: dict[int, Damage] = {}
        self.mark = MARKS[0]
        self._cr_lines = False
        # Bytes a file may have when a reader needs it whole ([ingest] whole_file_max_mb); None: no limit.
        self.whole_limit: int | None = None

    @classmethod
    def open(cls, path: Path) -> "Source":
        path = Path(path)
        try:
            with open(path, "rb") as handle:
                prefix = handle.read(PREFIX_BYTES)
                size = len(prefix) if len(prefix) < PREFIX_BYTES else path.stat().st_size
        except IsADirectoryError:
            raise UnreadableFile(path, "is a folder, not a file") from None
        except OSError as exc:
            raise UnreadableFile(path, f"cannot be read ({exc.strerror or exc})") from None
        if size <= len(prefix):
            return cls(path, prefix)
        return cls(path, prefix=prefix, size=size)

    @property
    def raw(self) -> bytes:
        """The whole file (read on first use), unless it is over ``whole_limit``: refused unread."""
        if self._raw is None and self.whole_limit is not None and self.size > self.whole_limit:
            raise UnreadableFile(
                self.path, f"refused: {self.size / (1 << 20):,.0f} MiB to read whole, over the limit of "
                f"{self.whole_limit / (1 << 20):,.0f} MiB (raise ingest.whole_file_max_mb to read it: it takes about "
                "25 times its size in memory; a chat table as CSV or JSON lines, or an order report as CSV, of any size is read in pieces)")
        if self._raw is None:
            try:
                self._raw = self.path.read_bytes()
            except OSError as exc:
                raise UnreadableFile(self.path, f"cannot be read ({exc.strerror or exc})") from None
            self.size = len(self._raw)
        return self._raw

    @property
    def name(self) -> str:
        return str(self.path)

    @property
    def sha256(self) -> str:
        if self._digest is None:
            if self._raw is None:
                # A file not read whole is hashed from disk a block at a time.
                if self._file_sha256 is None:
                    self._file_sha256 = file_sha256(self.path)
                return self._file_sha256
            self._digest = _Digest(self.raw)
        return self._digest.value()

    def binary(self) -> BinaryIO:
        """The content as a seekable binary file, for readers that seek (ZIP): the bytes in hand, or
        the file on disk (not read whole)."""
        if self._raw is not None:
            return io.BytesIO(self._raw)
        try:
            return open(self.path, "rb")
        except OSError as exc:
            raise UnreadableFile(self.path, f"cannot be read ({exc.strerror or exc})") from None

    def fail(self, why: str) -> UnreadableFile:
        if self.damage:  # a message quoting a damaged line (a header): its bad bytes as U+FFFD
            why = why.replace(self.mark, "\ufffd")
        return UnreadableFile(self.path, why)

    def text(self) -> str:
        if self._text is None:
            try:
                decoded = decode(self.raw)
            except NotText as exc:
                raise self.fail(str(exc)) from None
            if looks_binary(decoded.text):
                raise self.fail("binary data, not a text export")
            self._text, self.encoding = decoded.text, decoded.encoding
            self.damage, self.mark, self._cr_lines = decoded.damage, decoded.mark, decoded.cr_lines
        return self._text

    def head(self) -> str:
        """The first 64 KiB or so of text, for recognising the layout."""
        quick = None if self._text is not None else decode_head(self.prefix)
        if quick is None and self._text is None and self.size > len(self.prefix):
            # A big file in GBK: its start says its layout; decoding all of it here would hold it whole.
            encoding = self.stream_encoding
            if encoding is not None:
                start = self.prefix[: self.prefix.rfind(b"\n") + 1].decode(encoding)
                if not looks_binary(start):
                    return start[: 1 << 16]
        if quick is None or "\x00" in quick[0]:
            # Not UTF-8, or zero bytes that may be UTF-16 without a mark: the full detection decides.
            return self.text()[: 1 << 16]
        if looks_binary(quick[0]):
            raise self.fail("binary data, not a text export")
        return quick[0]

    @functools.cached_property
    def stream_encoding(self) -> str | None:
        """The encoding a big file can be decoded in block by block, judged on its start (once: the layout
        check and the streamed reader both ask)."""
        return streamable_encoding(self.prefix)

    def utf8_bytes(self, full: bool = False) -> bytes:
        """The content as UTF-8 without BOM. Unless ``full``, UTF-8 input is passed through undecoded
        (the columnar reader validates it); the caller retries with ``full=True`` if that fails."""
        if not full and self._text is None and not cr_only(self.prefix):
            quick = decode_head(self.prefix)
            if quick is not None and quick[1] in ("utf-8", "utf-8-sig"):
                self.encoding = quick[1]
                return self.raw[3:] if quick[1] == "utf-8-sig" else self.raw
        text = self.text()
        # Damaged lines hold marks, and CR-only line ends are line feeds, only in the decoded text.
        if self.encoding in ("utf-8", "utf-8-sig") and not self.damage and not self._cr_lines:
            return self.raw[3:] if self.encoding == "utf-8-sig" else self.raw
        return text.encode("utf-8")
