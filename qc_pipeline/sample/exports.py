"""Writing the planned sample to disk, and what loading each file must yield."""
from __future__ import annotations

from pathlib import Path

from qc_pipeline.sample import catalog, textlayouts
from qc_pipeline.sample.csvfiles import write_chat_csv, write_roster
from qc_pipeline.sample.orders import write_order_report
from qc_pipeline.sample.plan import SamplePlan, streams
from qc_pipeline.sample.remarks import remark_text
from qc_pipeline.sample.shops import SHOPS

COUNT_KEYS = ("rows_read", "rows_loaded", "rows_duplicate", "rows_quarantined", "noise_lines")


def _write(path: Path, text: str, encoding: str) -> None:
    path.write_bytes(text.encode(encoding))


def write_exports(plan: SamplePlan, out_dir: Path) -> tuple[dict, list[dict]]:
    """Write every export; return the per-file expected load counts and the quarantined rows."""
    stream = streams(plan.seed)
    records: dict[str, list[int]] = {}
    files: dict[str, dict] = {}
    quarantined: list[dict] = []
    for name in (catalog.PRESALE_CSV, catalog.AFTERSALE_CSV):
        encoding = catalog.FILES[name][2]
        in_file = [s for s in plan.sessions if s.files[0] == name]
        bad = plan.bad_rows.get(name, [])
        text, n_rows, q = write_chat_csv(in_file, bad, "\n" if encoding == "utf-8" else "\r\n")
        _write(out_dir / name, text, encoding)
        records[name] = [m.uid for s in in_file for m in s.msgs]
        files[name] = {"rows_read": n_rows, "rows_quarantined": len(q), "noise_lines": 0}
        quarantined += [{"file": name, **row} for row in q]
    for name, layout in catalog.TEXT_LAYOUTS.items():
        encoding = catalog.FILES[name][2]
        in_file = [s for s in plan.sessions if name in s.files]
        text, n_rows, noise = textlayouts.WRITERS[layout](in_file, stream(f"text:{name}"))
        _write(out_dir / name, text, encoding)
        records[name] = [e.uid for e in textlayouts.file_events(in_file, with_notes=False)]
        files[name] = {"rows_read": n_rows, "rows_quarantined": 0, "noise_lines": noise}
    _write(out_dir / catalog.ORDERS, write_order_report(stream("report"), plan.orders), "gbk")
    files[catalog.ORDERS] = {"rows_read": len(plan.orders), "rows_loaded": len(plan.orders), "rows_duplicate": 0,
                             "rows_quarantined": 0, "noise_lines": 0}
    # Loaded after the report (path order) and behind it in state: a row counts as loaded only when its
    # remark is one the report's row does not have.
    early = plan.remarks.earlier_orders(plan.orders)
    for order in early:
        order.remark = remark_text(plan.remarks.earlier[order.order_id])
    _write(out_dir / catalog.ORDERS_EARLY, write_order_report(stream("report_early"), early), "gbk")
    current = {o.order_id: o.remark for o in plan.orders}
    new_remarks = sum(1 for o in early if o.remark and o.remark != current[o.order_id])
    files[catalog.ORDERS_EARLY] = {"rows_read": len(early), "rows_loaded": new_remarks,
                                   "rows_duplicate": len(early) - new_remarks, "rows_quarantined": 0,
                                   "noise_lines": 0}
    roster_text, n_agents = write_roster(SHOPS)
    _write(out_dir / catalog.ROSTER, roster_text, "utf-8")
    files[catalog.ROSTER] = {"rows_read": n_agents, "rows_loaded": n_agents, "rows_duplicate": 0,
                             "rows_quarantined": 0, "noise_lines": 0}

    # Duplicates: a message already loaded from a file earlier in path order.
    seen: set[int] = set()
    for name in sorted(records):
        uids = records[name]
        fresh = [u for u in uids if u not in seen]
        seen.update(uids)
        files[name]["rows_loaded"] = len(fresh)
        files[name]["rows_duplicate"] = len(uids) - len(fresh)
    out = {}
    for name in sorted(files):
        kind, layout, encoding = catalog.FILES[name]
        out[name] = {"kind": kind, "format": layout, "encoding": encoding, **{k: files[name][k] for k in COUNT_KEYS}}
    return out, quarantined
