"""The whole report pack (`qc run`, `qc report`, `qc cases`, `qc topics`) over the sample with hostile chat
planted in it: every personal-data form the masker must catch, and shop/agent/buyer names and texts that a
spreadsheet would read as formulas. Every file written is scanned."""
from __future__ import annotations

import csv
import io
import re
import shutil
import unicodedata
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qc_pipeline.cli import app
from qc_pipeline.reports.xlsx_cells import FORMULA_STARTS
from qc_pipeline.store.warehouse import open_warehouse

REPO = Path(__file__).resolve().parents[1]
WEEK = "2026-W47"

# (form as a buyer or agent writes it, what must not survive: the form's digits or its identifying part)
FORMS = {
    "full-width mobile": ("１３７０００１１２２３", "13700011223"),
    "dotted mobile": ("137.0002.1122", "13700021122"),
    "double-spaced mobile": ("137  0003  1122", "13700031122"),
    "full-width dashes": ("137－0004－1122", "13700041122"),
    "leading 0": ("013700051122", "13700051122"),
    "+86": ("+8613700061122", "13700061122"),
    "15-digit ID": ("110105850307123", "110105850307123"),
    "spaced 18-digit ID": ("110105 19850307 2234", "110105198503072234"),
    "landline with a space": ("0571 87770001", "87770001"),
    "landline with a dash": ("010-87770002", "87770002"),
    "full-width at": ("lisi_2026＠example.com", "lisi_2026"),
    "WeChat id": ("微信 wxid_hostile01", "wxid_hostile01"),
    "vx with colon": ("vx：hostilevx02", "hostilevx02"),
    "vx without colon": ("VX hostilevx03", "hostilevx03"),
    "QQ number": ("QQ 7654321098", "7654321098"),
    "qq with colon": ("qq:88776655", "88776655"),
    "bank card in fours": ("6222 0213 4455 6677", "6222021344556677"),
    "19-digit card in fours": ("6217 0012 3456 7890 123", "6217001234567890123"),
    "card number after 卡号": ("卡号6228480012345678901", "6228480012345678901"),
}

SHOP = "=HYPERLINK(\"http://x\")店"
AGENT = f"{SHOP}:+阿凶"
BUYERS = ["@恶意买家", "-买家二", "\t买家三"]
FORMULA_TEXT = "=1+1 这个怎么卖"


def _hostile_export() -> str:
    rows = []
    for i, (name, (form, _)) in enumerate(FORMS.items()):
        day, minute = 16 + i % 5, 10 + i
        buyer = BUYERS[i % len(BUYERS)]
        at = f"2026-11-{day} 10:{minute:02d}"
        rows += [
            [SHOP, buyer, AGENT, "buyer", f"{at}:00", FORMULA_TEXT if i % 4 == 0 else "在吗，这件有货吗"],
            [SHOP, buyer, AGENT, "buyer", f"{at}:05", f"我的联系方式 {form} 麻烦尽快发货"],
            [SHOP, buyer, AGENT, "agent", f"{at}:30", f"亲，这是全网最低价，已记下您的 {form}"],
        ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["shop", "buyer", "agent", "role", "sent_at", "text"])
    writer.writerows(rows)
    return out.getvalue()


def qc(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    logs = root / "logs"
    shutil.copytree(REPO / "sample_logs", logs)
    (logs / "chats_hostile.csv").write_text(_hostile_export(), encoding="utf-8")
    db, out = root / "qc.duckdb", root / "reports"
    ran = qc("run", logs, "--db", db, "--out", out)
    assert ran.exit_code in (0, 1), ran.output
    for args in (["report", "--week", WEEK, "--db", db, "--out", root / "report"],
                 ["cases", "--week", WEEK, "--db", db, "--out", out / WEEK / "cases", "--top", "50"],
                 ["topics", "--weeks", "2", "--week", WEEK, "--db", db, "--out", out / WEEK / "topics"],
                 ["report", "--week", WEEK, "--db", db, "--out", root / "unmasked", "--no-mask"]):
        result = qc(*args)
        assert result.exit_code == 0, result.output
    return root, db


def _outputs(root: Path) -> list[Path]:
    return [p for d in ("reports", "report") for p in sorted((root / d).rglob("*")) if p.is_file()]


def _texts(path: Path) -> list[str]:
    """What a reader of ``path`` can see: the file's text, or each XML member of a workbook."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return [z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")]
    if path.suffix == ".parquet":
        import polars as pl
        return [pl.read_parquet(path).write_csv()]
    return [path.read_bytes().decode("utf-8")]


def test_the_planted_chat_reached_the_warehouse(pack):
    _, db = pack
    con = open_warehouse(db, read_only=True)
    try:
        stored = "\n".join(t for (t,) in con.execute("SELECT text FROM messages WHERE shop = ?", [SHOP]).fetchall())
        agents = {a for (a,) in con.execute("SELECT DISTINCT agent FROM agent_week WHERE week = ?", [WEEK]).fetchall()}
    finally:
        con.close()
    for name, (form, _) in FORMS.items():
        assert form in stored, name
    assert AGENT in agents


@pytest.mark.parametrize("name", list(FORMS))
def test_unmasked_the_form_is_found_by_the_scan(pack, name):
    # The same scan over a --no-mask pack finds each form: the masked pack's absence is not an accident of
    # the planted chat never being shown.
    root, _ = pack
    form, _ = FORMS[name]
    files = [p for p in sorted((root / "unmasked").rglob("*")) if p.is_file()]
    assert any(form in text for p in files for text in _texts(p)), name


def test_the_pack_holds_every_kind_of_file(pack):
    root, _ = pack
    suffixes = {p.suffix for p in _outputs(root)}
    assert {".html", ".md", ".csv", ".xlsx", ".parquet"} <= suffixes
    week = root / "reports" / WEEK
    assert (week / "cases" / "index.html").is_file() and (week / "topics" / "topics.html").is_file()
    assert (week / "agent_week.csv").is_file() and (week / "summary.html").is_file()


@pytest.mark.parametrize("name", list(FORMS))
def test_no_output_file_shows_the_form(pack, name):
    root, _ = pack
    form, digits = FORMS[name]
    for path in _outputs(root):
        for text in _texts(path):
            folded = unicodedata.normalize("NFKC", text)
            assert form not in text, f"{name} in {path}"
            assert digits not in folded, f"{name} ({digits}) in {path}"


def test_every_csv_cell_is_neutralised(pack):
    root, _ = pack
    csvs = [p for p in _outputs(root) if p.suffix == ".csv"]
    assert {p.name for p in csvs} >= {"agent_week.csv", "flags.csv", "standard.csv"}
    seen_hostile = False
    for path in csvs:
        for row in csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))):
            for cell in row:
                seen_hostile |= "阿凶" in cell
                if cell.startswith(FORMULA_STARTS):
                    assert re.fullmatch(r"-\d+(\.\d+)?(e-?\d+)?", cell), f"{path.name}: {cell!r}"
    assert seen_hostile, "the hostile agent never reached a CSV: the scan proves nothing"


def test_no_workbook_cell_starts_a_formula(pack):
    root, _ = pack
    books = [p for p in _outputs(root) if p.suffix == ".xlsx"]
    assert books
    for path in books:
        with zipfile.ZipFile(path) as z:
            for member in (n for n in z.namelist() if n.startswith("xl/") and n.endswith(".xml")):
                xml = z.read(member).decode("utf-8")
                assert "<f>" not in xml and "<f " not in xml, member
                for cell in re.findall(r"<t(?: [^>]*)?>([^<]*)</t>", xml):
                    cell = cell.replace("&amp;", "&").replace("&quot;", '"').replace("&#9;", "\t")
                    assert not cell.startswith(FORMULA_STARTS), f"{member}: {cell!r}"


def test_case_and_topic_pages_carry_the_report_csp(pack):
    root, _ = pack
    summary = (root / "reports" / WEEK / "summary.html").read_text(encoding="utf-8")
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="[^"]+">', summary).group(0)
    pages = list((root / "reports" / WEEK / "cases").glob("*.html")) + [root / "reports" / WEEK / "topics" / "topics.html"]
    assert len(pages) > 1
    for page in pages:
        assert csp in page.read_text(encoding="utf-8"), page
