"""`qc import-review`: filled review workbooks read back, validated, and stored whole or not at all.

Every row is checked before anything is written: an unknown session or flag id, a verdict or decision
that is not one of the offered values, a missing reviewer or category, a row judged twice (in the file
or already in the warehouse) and a formula where text belongs are each reported as one line naming the
file, the sheet and the row, and the file is then skipped entirely. A file imported before (the same
bytes) is skipped as such. Each accepted file lands in one transaction with the adjusted scores.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from qc_pipeline.review.ids import FLAG_ID, FLAG_ID_SQL
from qc_pipeline.review.settings import STRATA
from qc_pipeline.review.verdicts import DECISIONS, FLAG_VERDICTS, SESSION_VERDICTS, read_value
from qc_pipeline.review.workbook import APPEAL_COLUMNS, APPEALS_SHEET, REVIEW_COLUMNS, REVIEW_SHEET

# What a reviewer fills in; the other columns were written by `qc sample-review` and only identify.
REVIEW_REQUIRED = ("item_id", "item", "session_id", "verdict", "reviewer")
APPEAL_REQUIRED = ("flag_id", "decision", "decided_by")
# Longest text kept from a reviewer's cell (a comment pasted from elsewhere).
MAX_TEXT = 2000
REVIEW_COLUMNS_SQL = (
    "review_id", "kind", "item", "flag_id", "session_id", "msg_id", "rule_id", "shop", "week", "agent", "stratum",
    "stratum_sessions", "verdict", "category", "decision", "reviewer", "appellant", "comment", "at", "source_path",
    "source_sha256", "sheet", "source_row",
)


@dataclass
class FileResult:
    path: Path
    imported: int = 0
    reviews: int = 0
    appeals: int = 0
    pending_appeals: int = 0
    already: bool = False
    errors: list[str] = field(default_factory=list)


@dataclass
class _Row:
    sheet: str
    row: int
    values: dict


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _header_key(cell) -> str:
    return _text(cell).split("（", 1)[0].split("(", 1)[0].strip().lower()


def _read_sheet(ws, keys: tuple[str, ...], sheet: str, errors: list[str], where: str) -> list[_Row]:
    rows = ws.iter_rows()
    try:
        head = next(rows)
    except StopIteration:
        return []
    columns = {_header_key(c.value): i for i, c in enumerate(head) if _header_key(c.value)}
    missing = [k for k in keys if k not in columns]
    if missing:
        errors.append(f"{where}: sheet {sheet!r} row 1: missing column {missing[0]!r} (a workbook of `qc sample-review`?)")
        return []
    out = []
    for r, cells in enumerate(rows, start=2):
        values = {}
        for key, i in columns.items():
            cell = cells[i] if i < len(cells) else None
            if cell is None:
                values[key] = ""
                continue
            if cell.data_type == "f":
                errors.append(f"{where}: sheet {sheet!r} row {r}: column {key!r} holds a formula; type the text "
                              "itself (a formula is never imported)")
                values[key] = ""
                continue
            values[key] = _text(cell.value)
        if any(values.values()):
            out.append(_Row(sheet, r, values))
    return out


def read_workbook(path: Path) -> tuple[list[_Row], list[_Row], list[str]]:
    """(review rows, appeal rows, errors) of one file; rows with no value at all are left out."""
    import openpyxl

    errors: list[str] = []
    try:
        wb = openpyxl.load_workbook(path, data_only=False, read_only=False)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's to fix
        return [], [], [f"{path}: not a readable .xlsx workbook ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})"]
    try:
        if REVIEW_SHEET not in wb.sheetnames and APPEALS_SHEET not in wb.sheetnames:
            return [], [], [f"{path}: no sheet {REVIEW_SHEET!r} or {APPEALS_SHEET!r}: not a review workbook of "
                            "`qc sample-review`"]
        reviews = (_read_sheet(wb[REVIEW_SHEET], tuple(k for k, _ in REVIEW_COLUMNS), REVIEW_SHEET, errors, str(path))
                   if REVIEW_SHEET in wb.sheetnames else [])
        appeals = (_read_sheet(wb[APPEALS_SHEET], tuple(k for k, _ in APPEAL_COLUMNS), APPEALS_SHEET, errors,
                               str(path)) if APPEALS_SHEET in wb.sheetnames else [])
    finally:
        wb.close()
    return reviews, appeals, errors


def _flag_rows(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, dict]:
    if not ids:
        return {}
    _ids = pl.DataFrame({"flag_id": sorted(set(ids))}).to_arrow()  # noqa: F841 (read by name)
    rows = con.sql(f"""
        SELECT * FROM (SELECT {FLAG_ID_SQL} AS flag_id, f.session_id, f.msg_id, f.rule_id, f.category, f.shop,
                              f.week, f.agent FROM flags f) x
        SEMI JOIN _ids USING (flag_id)""").pl()
    return {r["flag_id"]: r for r in rows.iter_rows(named=True)}


def _session_rows(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, dict]:
    if not ids:
        return {}
    _ids = pl.DataFrame({"session_id": sorted(set(ids))}).to_arrow()  # noqa: F841 (read by name)
    rows = con.sql("""SELECT s.session_id, s.shop, s.week, coalesce(sc.agent, s.primary_agent) AS agent
                      FROM sessions s LEFT JOIN session_scores sc USING (session_id)
                      SEMI JOIN _ids USING (session_id)""").pl()
    return {r["session_id"]: r for r in rows.iter_rows(named=True)}


def _stored_keys(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], str]:
    rows = con.execute("""SELECT kind, coalesce(flag_id, session_id), reviewer, source_path, sheet, source_row
                          FROM reviews""").fetchall()
    return {(k, i, r): f"{p} sheet {s!r} row {n}" for k, i, r, p, s, n in rows}


def validate(con: duckdb.DuckDBPyConnection, path: Path, reviews: list[_Row], appeals: list[_Row],
             categories: set[str], sha: str, at: dt.datetime) -> tuple[list[dict], list[str], int]:
    """The rows to insert, the errors, and the appeals still pending (no decision yet)."""
    errors: list[str] = []
    where = str(path)
    flags = _flag_rows(con, [r.values["item_id"] for r in reviews if r.values.get("item") == "flag"]
                       + [r.values["flag_id"] for r in appeals])
    sessions = _session_rows(con, [r.values["item_id"] for r in reviews if r.values.get("item") == "session"]
                             + [r.values["session_id"] for r in reviews])
    stored = _stored_keys(con)
    seen: dict[tuple[str, str, str], int] = {}
    out: list[dict] = []
    pending = 0

    def fail(row: _Row, message: str) -> None:
        errors.append(f"{where}: sheet {row.sheet!r} row {row.row}: {message}")

    def duplicate(row: _Row, key: tuple[str, str, str]) -> bool:
        if key in seen:
            fail(row, f"{key[1]} judged again by {key[2]!r} (first in row {seen[key]}): a duplicate")
            return True
        if key in stored:
            fail(row, f"{key[1]} already judged by {key[2]!r} ({stored[key]}): a duplicate")
            return True
        seen[key] = row.row
        return False

    def base(row: _Row) -> dict:
        return {"review_id": f"{sha[:16]}:{row.sheet}:{row.row}", "at": at, "source_path": str(path),
                "source_sha256": sha, "sheet": row.sheet, "source_row": row.row}

    for row in reviews:
        v = row.values
        if not v.get("verdict"):
            continue  # not reviewed (yet)
        item, item_id = v.get("item", ""), v.get("item_id", "")
        verdict = read_value(v["verdict"])
        allowed = FLAG_VERDICTS if item == "flag" else SESSION_VERDICTS
        if item not in ("flag", "session"):
            fail(row, f"item {item!r}: expected flag or session (the columns left of verdict must stay as written)")
            continue
        if verdict not in allowed:
            fail(row, f"verdict {v['verdict']!r}: expected {' or '.join(allowed)} for a {item}")
            continue
        reviewer = v.get("reviewer", "")[:MAX_TEXT]
        if not reviewer:
            fail(row, "no reviewer: write who judged it")
            continue
        record = {**base(row), "kind": "review", "item": item, "verdict": verdict, "reviewer": reviewer,
                  "comment": v.get("comment", "")[:MAX_TEXT] or None, "decision": None, "appellant": None}
        stratum = v.get("stratum") or None
        if stratum is not None and stratum not in STRATA:
            fail(row, f"stratum {stratum!r}: expected {', '.join(STRATA)}")
            continue
        try:
            size = int(float(v["stratum_sessions"])) if v.get("stratum_sessions") else None
        except ValueError:
            fail(row, f"stratum_sessions {v['stratum_sessions']!r}: not a number")
            continue
        record.update(stratum=stratum, stratum_sessions=size)
        if item == "flag":
            found = flags.get(item_id) if FLAG_ID.match(item_id) else None
            if found is None:
                fail(row, f"unknown flag id {item_id!r} (not a flag in this warehouse; rebuilt with other rules?)")
                continue
            if v.get("session_id") and v["session_id"] != found["session_id"]:
                fail(row, f"flag {item_id} belongs to session {found['session_id']}, not {v['session_id']!r}")
                continue
            if duplicate(row, ("review", item_id, reviewer)):
                continue
            record.update(flag_id=item_id, session_id=found["session_id"], msg_id=found["msg_id"],
                          rule_id=found["rule_id"], category=found["category"], shop=found["shop"],
                          week=found["week"], agent=found["agent"])
        else:
            found = sessions.get(item_id)
            if found is None:
                fail(row, f"unknown session id {item_id!r} (not a session in this warehouse)")
                continue
            category = None
            if verdict == "missed_violation":
                category = v.get("missed_category", "")
                if category not in categories:
                    fail(row, f"missed_category {category!r}: expected one of {', '.join(sorted(categories))}")
                    continue
            if duplicate(row, ("review", item_id, reviewer)):
                continue
            record.update(flag_id=None, session_id=item_id, msg_id=None, rule_id=None, category=category,
                          shop=found["shop"], week=found["week"], agent=found["agent"])
        out.append(record)

    for row in appeals:
        v = row.values
        flag_id = v.get("flag_id", "")
        if not flag_id:
            fail(row, "an appeal without flag_id")
            continue
        found = flags.get(flag_id) if FLAG_ID.match(flag_id) else None
        if found is None:
            fail(row, f"unknown flag id {flag_id!r} (not a flag in this warehouse; rebuilt with other rules?)")
            continue
        if not v.get("decision"):
            pending += 1
            continue
        decision = read_value(v["decision"])
        if decision not in DECISIONS:
            fail(row, f"decision {v['decision']!r}: expected {' or '.join(DECISIONS)}")
            continue
        decider = v.get("decided_by", "")[:MAX_TEXT]
        if not decider:
            fail(row, "no decided_by: write who decided the appeal")
            continue
        if duplicate(row, ("appeal", flag_id, decider)):
            continue
        out.append({**base(row), "kind": "appeal", "item": "flag", "flag_id": flag_id,
                    "session_id": found["session_id"], "msg_id": found["msg_id"], "rule_id": found["rule_id"],
                    "shop": found["shop"], "week": found["week"], "agent": found["agent"], "stratum": None,
                    "stratum_sessions": None, "category": found["category"], "decision": decision,
                    "verdict": "not_violation" if decision == "overturned" else "confirmed", "reviewer": decider,
                    "appellant": (v.get("appellant") or found["agent"] or "")[:MAX_TEXT] or None,
                    "comment": " / ".join(t for t in (v.get("reason", ""), v.get("comment", "")) if t)[:MAX_TEXT] or None})
    return out, errors, pending


def import_file(con: duckdb.DuckDBPyConnection, path: Path, categories: set[str], refresh, at: dt.datetime) -> FileResult:
    """One file: validated whole, then stored with `refresh(con)` (the adjusted scores) in one transaction."""
    result = FileResult(path)
    if not path.is_file():
        result.errors.append(f"{path}: no such file")
        return result
    sha = _sha256(path)
    if con.execute("SELECT count(*) FROM reviews WHERE source_sha256 = ?", [sha]).fetchall()[0][0]:
        result.already = True
        return result
    reviews, appeals, errors = read_workbook(path)
    rows, more, result.pending_appeals = validate(con, path, reviews, appeals, categories, sha, at)
    result.errors = errors + more
    if result.errors:
        return result
    frame = pl.DataFrame(rows, schema={
        "review_id": pl.Utf8, "kind": pl.Utf8, "item": pl.Utf8, "flag_id": pl.Utf8, "session_id": pl.Utf8,
        "msg_id": pl.Utf8, "rule_id": pl.Utf8, "shop": pl.Utf8, "week": pl.Utf8, "agent": pl.Utf8,
        "stratum": pl.Utf8, "stratum_sessions": pl.Int64, "verdict": pl.Utf8, "category": pl.Utf8,
        "decision": pl.Utf8, "reviewer": pl.Utf8, "appellant": pl.Utf8, "comment": pl.Utf8,
        "at": pl.Datetime("us"), "source_path": pl.Utf8, "source_sha256": pl.Utf8, "sheet": pl.Utf8,
        "source_row": pl.Int32,
    }).select(REVIEW_COLUMNS_SQL)
    con.execute("BEGIN TRANSACTION")
    try:
        if not frame.is_empty():
            _rows = frame.to_arrow()  # noqa: F841 (read by name)
            con.execute("INSERT INTO reviews BY NAME SELECT * FROM _rows")
        refresh(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    result.imported = frame.height
    result.reviews = frame.filter(pl.col("kind") == "review").height
    result.appeals = frame.height - result.reviews
    return result
