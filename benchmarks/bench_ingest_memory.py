"""Peak memory and wall time of `qc ingest` on big and hostile inputs.

    python benchmarks/bench_ingest_memory.py SCRATCH_DIR [--csv-mb 1024] [--jsonl-mb 1024] [--json-mb 130]
        [--bomb-mb 1024] [--xlsx-mb 190] [--only csv,jsonl,json,xlsx-bomb,xlsx] [--kill-mb 12000]
        [--config FILE] [--keep]

Writes, under SCRATCH_DIR, a canonical chat CSV, the same rows as JSON lines, a JSON array of such
records, an XLSX zip bomb (one sheet of the same few rows repeated, about --bomb-mb of sheet XML in a
ZIP of a few MB) and a workbook of distinct rows just under the shipped size limit (--xlsx-mb). Each file is then loaded by `qc ingest FILE --db X` in a process of its own, into
an empty warehouse; the script prints the wall seconds, the peak RSS of exactly that process
(`os.wait4`), its exit code and the last line it printed. Target: peak RSS under 1 GB for every input.

A watchdog kills a child whose RSS passes --kill-mb (psutil), so that a run of the old code cannot
take a shared machine down; such a run is reported as `killed`.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

TARGET_RSS_MB = 1024
HEADER = ("shop", "buyer", "agent", "role", "sent_at", "text")
_TEXTS = (
    "你好，在吗？这件衣服有货吗", "亲，在的呢，有货的哦，今天下单明天发货", "尺码怎么选，身高165体重50",
    "建议选M码哦亲", "好的谢谢", "什么时候发货呀", "已经帮您催促仓库了，请耐心等待", "可以开发票吗",
)


def _row(i: int) -> tuple[str, str, str, str, str, str]:
    shop = f"店铺{i % 10}"
    buyer = f"buyer{(i // 6) % 500000}"
    agent = f"{shop}:客服{(i // 600) % 20}"
    role = "buyer" if i % 2 == 0 else "agent"
    second = i % (7 * 86400)
    sent_at = f"2026-11-{23 + second // 86400:02d} {second % 86400 // 3600:02d}:{second % 3600 // 60:02d}:{second % 60:02d}"
    return shop, buyer, agent, role, sent_at, f"{_TEXTS[i % len(_TEXTS)]} #{i}"


def _write_rows(path: Path, target_bytes: int, line, head: str = "", tail: str = "", sep: str = "") -> int:
    """Rows until the file holds ``target_bytes``; returns the row count."""
    i = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write(head)
        written = len(head.encode())
        while written < target_bytes:
            block = sep.join(line(_row(j)) for j in range(i, i + 50_000))
            if i and sep:
                block = sep + block
            out.write(block)
            written += len(block.encode())
            i += 50_000
        out.write(tail)
    return i


def _json_object(row) -> str:
    return "{" + ", ".join(f'"{k}": "{v}"' for k, v in zip(HEADER, row)) + "}"


def write_csv(path: Path, mb: int) -> int:
    return _write_rows(path, mb << 20, lambda r: ",".join(r) + "\n", head=",".join(HEADER) + "\n")


def write_jsonl(path: Path, mb: int) -> int:
    return _write_rows(path, mb << 20, lambda r: _json_object(r) + "\n")


def write_json(path: Path, mb: int) -> int:
    return _write_rows(path, mb << 20, _json_object, head="[\n", tail="\n]\n", sep=",\n")


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="chats" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)


def _xml_row(cells) -> str:
    return "<row>" + "".join(f'<c t="inlineStr"><is><t>{c}</t></is></c>' for c in cells) + "</row>"


def write_xlsx_bomb(path: Path, mb: int) -> int:
    """A workbook whose one sheet repeats the same rows: about ``mb`` MB of XML, deflated to a few MB."""
    rows = "".join(_xml_row(_row(j)) for j in range(8)).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        count = 0
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            sheet.write(_xml_row(HEADER).encode())
            block = rows * 4096
            written = 0
            while written < mb << 20:
                sheet.write(block)
                written += len(block)
                count += 8 * 4096
            sheet.write(b"</sheetData></worksheet>")
    return count


def write_xlsx(path: Path, mb: int) -> int:
    """A workbook of distinct rows whose sheet XML is about ``mb`` MB: the biggest the limits let in."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            sheet.write(_xml_row(HEADER).encode())
            i, written = 0, 0
            while written < mb << 20:
                block = "".join(_xml_row(_row(j)) for j in range(i, i + 10_000)).encode()
                sheet.write(block)
                written += len(block)
                i += 10_000
            sheet.write(b"</sheetData></worksheet>")
    return i


WRITERS = {"csv": ("chats.csv", write_csv), "jsonl": ("chats.jsonl", write_jsonl),
           "json": ("chats.json", write_json), "xlsx-bomb": ("bomb.xlsx", write_xlsx_bomb),
           "xlsx": ("chats.xlsx", write_xlsx)}


def _watch(pid: int, kill_mb: int, killed: list[bool], done: threading.Event) -> None:
    try:
        import psutil
    except ImportError:
        return
    try:
        process = psutil.Process(pid)
        while not done.wait(0.05):
            if process.memory_info().rss > kill_mb << 20:
                killed.append(True)
                process.kill()
                return
    except psutil.NoSuchProcess:
        return


def run_ingest(path: Path, db: Path, kill_mb: int, config: Path | None = None) -> dict:
    command = [sys.executable, "-c", "from qc_pipeline.cli import main; main()", "ingest", str(path), "--db", str(db)]
    if config is not None:
        command += ["--config", str(config)]
    log = db.with_suffix(".log")
    with open(log, "wb") as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=os.environ | {"COLUMNS": "200"})
        done, killed = threading.Event(), []
        watcher = threading.Thread(target=_watch, args=(child.pid, kill_mb, killed, done), daemon=True)
        watcher.start()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        done.set()
        child.returncode = os.waitstatus_to_exitcode(status)
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return {
        "seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "rc": child.returncode, "killed": bool(killed),
        "last": lines[-1].strip()[:150] if lines else "", "log": log,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scratch", type=Path, help="folder for the generated files and warehouses")
    parser.add_argument("--csv-mb", type=int, default=1024)
    parser.add_argument("--jsonl-mb", type=int, default=1024)
    parser.add_argument("--json-mb", type=int, default=130)
    parser.add_argument("--bomb-mb", type=int, default=1024, help="uncompressed size of the bomb's sheet XML")
    parser.add_argument("--xlsx-mb", type=int, default=190, help="sheet XML of a workbook of distinct rows")
    parser.add_argument("--only", default=",".join(WRITERS), help="comma-separated inputs to run")
    parser.add_argument("--kill-mb", type=int, default=12000, help="kill a child whose RSS passes this")
    parser.add_argument("--config", type=Path, help="a config file for qc ingest (to raise or lower the limits)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files for the next run")
    args = parser.parse_args()
    args.scratch.mkdir(parents=True, exist_ok=True)
    sizes = {"csv": args.csv_mb, "jsonl": args.jsonl_mb, "json": args.json_mb, "xlsx-bomb": args.bomb_mb,
             "xlsx": args.xlsx_mb}
    results = []
    for kind in args.only.split(","):
        name, writer = WRITERS[kind]
        path = args.scratch / f"{sizes[kind]}mb-{name}"
        if not path.exists():
            t = time.perf_counter()
            partial = path.with_name(path.name + ".part")
            rows = writer(partial, sizes[kind])
            partial.rename(path)
            print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MB, {rows:,} rows) in {time.perf_counter() - t:.1f} s",
                  flush=True)
        db = args.scratch / f"{kind}.duckdb"
        for stale in (db, db.with_suffix(".duckdb.wal")):
            stale.unlink(missing_ok=True)
        result = run_ingest(path, db, args.kill_mb, args.config)
        result |= {"kind": kind, "file_mb": path.stat().st_size / 2**20}
        results.append(result)
        status = "killed" if result["killed"] else f"exit {result['rc']}"
        verdict = "pass" if result["peak_mb"] < TARGET_RSS_MB and not result["killed"] else "MISS"
        print(f"{kind:10} {result['file_mb']:8.1f} MB  {result['seconds']:7.1f} s  peak RSS {result['peak_mb']:7.0f} MB"
              f"  {status}  [{verdict} < {TARGET_RSS_MB} MB]\n           {result['last']}", flush=True)
        db.unlink(missing_ok=True)
        if not args.keep:
            path.unlink(missing_ok=True)
    print(f"\ncpus {os.cpu_count()}, python {sys.version.split()[0]}, load {os.getloadavg()[0]:.2f}")
    if not args.keep:
        shutil.rmtree(args.scratch / "tmp", ignore_errors=True)


if __name__ == "__main__":
    main()
