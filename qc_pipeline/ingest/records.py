"""JSON records (JSON lines, or a JSON array of objects) as a table: the keys are the header."""
from __future__ import annotations

import json

from qc_pipeline.ingest.tables import Table, cell_text, frame_from_rows, unique_names

# The reason of a record that parses but is no object (a bare string, number, array, null).
NOT_AN_OBJECT = "not a JSON object"


def records_table(items: list[tuple[int, object, str]]) -> Table:
    """JSON records: (line, parsed value or an error message, raw text). Columns are the union of keys."""
    columns: list[str] = []
    for _, value, _ in items:
        if isinstance(value, dict):
            columns += [k for k in value if k not in columns]
    rows, lines, problems, raws = [], [], [], []
    for line, value, raw in items:
        if isinstance(value, dict):
            rows.append([_json_cell(value.get(c)) for c in columns])
            problems.append(None)
        else:
            rows.append([])
            problems.append(value if isinstance(value, str) else NOT_AN_OBJECT)
        lines.append(line)
        raws.append(raw)
    names = unique_names(columns)
    return Table(names, frame_from_rows(names, rows, lines, problems, raws))


def _json_cell(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return cell_text(value)
    return json.dumps(value, ensure_ascii=False)


def jsonl_items(text: str, too_deep: set[int] = frozenset(), limit: int = 0, *, first_line: int = 1,
                final: bool = True) -> list[tuple[int, object, str]]:
    """(line, parsed object or the reason it is none, raw line) per non-blank line of ``text``, numbered from
    ``first_line``. The lines in ``too_deep`` (numbered within ``text``) nest deeper than ``limit`` and are
    not parsed (see jsondepth.py). Unless ``final`` (a piece of a file that goes on), the text ends with a
    whole line, so its last line is not cut off."""
    items = []
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        if number in too_deep:
            items.append((number + first_line - 1, f"line nested deeper than {limit} levels of arrays and objects",
                          line))
            continue
        try:
            value = json.loads(line)
            if not isinstance(value, dict):
                value = NOT_AN_OBJECT  # a bare string is data, never its own reason
        except json.JSONDecodeError as exc:
            last = number == len(lines) or all(not rest.strip() for rest in lines[number:])
            value = "truncated last line (incomplete JSON)" if last and final and not text.endswith("\n") else (
                f"invalid JSON line ({exc.msg} at column {exc.colno})"
            )
        items.append((number + first_line - 1, value, line))
    return items
