"""The quote scanner that decides whether a physical line ends inside a quoted field agrees with Python's
csv reader (strict=False), the reader that then parses the record."""
import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from qc_pipeline.ingest.pieces import _QUOTED, _START, scan_quotes

LINE = st.text(alphabet='"",,ab=中 \t|', max_size=24)


def csv_continues(line: str, delimiter: str) -> bool:
    """Does the csv reader take the next physical line into the record that starts with `line`?"""
    reader = csv.reader(io.StringIO(line + "\nZ\n", newline=""), delimiter=delimiter, strict=False)
    next(reader, None)
    return reader.line_num > 1


@settings(max_examples=3000, deadline=None)
@given(LINE, st.sampled_from([",", "\t", "|"]))
def test_line_ends_quoted_exactly_when_csv_reads_on(line, delimiter):
    assert (scan_quotes(line, delimiter) == _QUOTED) == csv_continues(line, delimiter)


@settings(max_examples=1000, deadline=None)
@given(LINE, LINE, st.sampled_from([",", "\t"]))
def test_a_quote_opened_on_one_line_closes_where_csv_says(first, second, delimiter):
    state = scan_quotes(first, delimiter)
    if state != _QUOTED:
        return
    after = scan_quotes(second, delimiter, _QUOTED)
    reader = csv.reader(io.StringIO(first + "\n" + second + "\nZ\n", newline=""), delimiter=delimiter, strict=False)
    next(reader, None)
    assert (after == _QUOTED) == (reader.line_num > 2)
    assert scan_quotes("", delimiter) == _START
