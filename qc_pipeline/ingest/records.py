"""JSON records (JSON lines, or a JSON array of objects) as a table: the keys are the header."""
from __future__ import annotations

import json

from qc_pipeline.ingest.tables import Table, cell_text, frame_from_rows, unique_names


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
            problems.append(value if isinstance(value, str) else "not a JSON object")
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


def jsonl_items(text: str, *, first_line: int = 1, final: bool = True) -> list[tuple[int, object, str]]:
    """JSON lines of ``text``, numbered from ``first_line``. Unless ``final`` (a piece of a file that
    goes on), the text ends with a whole line, so its last line is not cut off."""
    items = []
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            last = number == len(lines) or all(not rest.strip() for rest in lines[number:])
            value = "truncated last line (incomplete JSON)" if last and final and not text.endswith("\n") else (
                f"invalid JSON line ({exc.msg} at column {exc.colno})"
            )
        items.append((number + first_line - 1, value, line))
    return items
