"""JSON decoding that remembers where each object starts, so messages from JSON files carry the
line they came from like every other layout."""
from __future__ import annotations

import bisect
import json
import json.decoder
import json.scanner
import re


class Located(dict):
    """A JSON object and the character offset of its opening brace."""

    offset: int = 0


class _LocatingDecoder(json.JSONDecoder):
    def __init__(self) -> None:
        super().__init__()

        def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
            _, end = s_and_end
            pairs, new_end = json.decoder.JSONObject(s_and_end, strict, scan_once, None, None, memo)
            located = Located(pairs)
            located.offset = end - 1
            return located, new_end

        self.parse_object = parse_object
        # The C scanner ignores parse_object; the pure-Python one calls it.
        self.scan_once = json.scanner.py_make_scanner(self)


def loads_located(text: str):
    return _LocatingDecoder().decode(text)


class LineIndex:
    def __init__(self, text: str):
        self._breaks = [m.start() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_left(self._breaks, offset) + 1
