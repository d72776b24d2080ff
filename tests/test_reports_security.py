"""Chat text is untrusted and personal: reports never run it, never let a spreadsheet evaluate it, and mask
buyers' data unless an internal audit asks for the originals (and then say so)."""
from __future__ import annotations

import datetime as dt
import zipfile

import openpyxl
import polars as pl
import pytest

from qc_pipeline.reports import write_reports
from qc_pipeline.reports.markdown import md_escape
from qc_pipeline.reports.naming import agent_file_names
from tests.report_fixtures import (
    ADDRESS, ADDRESS_DETAIL, AGENT_PHONE, BUYERS, EMAIL, EMAIL_MASKED, ID_MASKED, ID_NUMBER, IMG, PHONE,
    PHONE_MASKED, SCRIPT, XIAOYA, AJIE, read_page, warehouse,  # noqa: F401 (warehouse: a fixture)
)

WEEK = "2026-W47"
GENERATED = dt.datetime(2026, 11, 23, 8, 0)
RAW = [PHONE, AGENT_PHONE, ID_NUMBER, EMAIL, ADDRESS_DETAIL, *BUYERS]


@pytest.fixture(scope="module")
def masked(warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("masked")
    return write_reports(warehouse.con, WEEK, out, generated_at=GENERATED)


@pytest.fixture(scope="module")
def unmasked(warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("unmasked")
    return write_reports(warehouse.con, WEEK, out, mask=False, generated_at=GENERATED)


def _html(paths):
    return [p for p in paths if p.suffix == ".html"]


def _page(paths, agent):
    name = agent_file_names([agent])[agent]
    return next(p for p in paths if p.name == name)


def _all_text(paths) -> str:
    """Every character a reader can get at: page sources, Markdown, every string in the workbook."""
    parts = []
    for p in paths:
        if p.suffix == ".xlsx":
            with zipfile.ZipFile(p) as z:
                parts += [z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")]
        elif p.suffix == ".parquet":
            parts += ["\t".join(map(str, row)) for row in pl.read_parquet(p).iter_rows()]
        else:
            parts.append(p.read_text(encoding="utf-8"))
    return "\n".join(parts)


def test_chat_markup_is_shown_as_text_never_run(masked):
    for path in _html(masked):
        page = read_page(path)
        assert not [t for t, _ in page.tags if t in ("script", "img", "iframe", "object", "embed")], path.name
        for tag, attrs in page.tags:
            handlers = [a for a in attrs if a.lower().startswith("on")]
            assert not handlers, (path.name, tag, handlers)
            assert not any("javascript:" in (v or "").lower() for v in attrs.values()), (path.name, tag)
    xiaoya = _page(masked, XIAOYA)
    source = xiaoya.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in source
    assert SCRIPT in "".join(read_page(xiaoya).text)  # the reader sees the text itself
    ajie = _page(masked, AJIE)
    assert IMG in "".join(read_page(ajie).text) and "<img" not in ajie.read_text(encoding="utf-8")


def test_pages_forbid_scripts_and_load_nothing_external(masked):
    for path in _html(masked):
        source = path.read_text(encoding="utf-8")
        assert "Content-Security-Policy" in source and "default-src 'none'" in source
        assert "@import" not in source and "url(" not in source and "@font-face" not in source
        for tag, attrs in read_page(path).tags:
            assert tag != "link" and "src" not in attrs, (path.name, tag)
            for name, value in attrs.items():
                if name != "xmlns":  # the SVG namespace is a name, never fetched
                    assert "://" not in (value or ""), (path.name, tag, name, value)


def test_workbook_cells_never_start_a_formula(masked):
    book = next(p for p in masked if p.suffix == ".xlsx")
    wb = openpyxl.load_workbook(book)
    strings = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    strings.append(cell.value)
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r")), (ws.title, cell.value)
    for hostile in ('=HYPERLINK("http://x")', "+1 ", "@SUM(1)", "-这个可能"):
        assert any(s.startswith("'" + hostile) for s in strings), hostile
    with zipfile.ZipFile(book) as z:
        assert not any("<f>" in z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_personal_data_is_masked_everywhere(masked):
    text = _all_text(masked)
    for raw in RAW:
        assert raw not in text, raw
    pages = "".join(p.read_text(encoding="utf-8") for p in _html(masked))
    for shown in (PHONE_MASKED, "138****5678", ID_MASKED, EMAIL_MASKED, "浙江省杭州市西湖区****", "t***3"):
        assert shown in pages, shown
    assert all('data-masked="true"' in p.read_text(encoding="utf-8") for p in _html(masked))
    assert 'id="unmasked"' not in pages


def test_highlights_stay_on_the_matched_words_after_masking(masked):
    marks = read_page(_page(masked, XIAOYA)).marks
    assert "加我微信138****5678" in marks  # the hit covers the number: highlighted and masked
    assert "最好" in marks and "最便宜" in marks
    assert read_page(_page(masked, AJIE)).marks.count("全网第一") == 1


def test_unmasked_reports_say_so_and_show_the_originals(unmasked):
    pages = _html(unmasked)
    for path in pages:
        page = read_page(path)
        assert any(t == "div" and a.get("id") == "unmasked" for t, a in page.tags), path.name
        assert "仅供内部审计" in "".join(page.text)
    text = _all_text(unmasked)
    assert PHONE in text and ID_NUMBER in text and EMAIL in text and ADDRESS in text
    assert "加我微信" + AGENT_PHONE in read_page(_page(unmasked, XIAOYA)).marks
    book = next(p for p in unmasked if p.suffix == ".xlsx")
    wb = openpyxl.load_workbook(book)
    assert "仅供内部审计" in wb.worksheets[0]["A2"].value
    md = next(p for p in unmasked if p.suffix == ".md").read_text(encoding="utf-8")
    assert "仅供内部审计" in md


def test_markdown_escapes_names_from_the_exports():
    assert md_escape("店|<b>x</b>*y*") == "店\\|\\<b\\>x\\</b\\>\\*y\\*"
    assert md_escape("a\nb") == "a b"
