"""Files that cannot be read at all: one error naming the file and why."""
import io
import random
import zipfile

import pytest

from qc_pipeline.errors import UserError
from qc_pipeline.ingest import UnreadableFile
from tests.conftest_ingest import parse, write, xlsx_bytes


def junk(n: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(n))


def zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name, data, why",
    [
        ("garbage.csv", junk(4000), "binary data"),
        ("nulls.txt", b"\x00\x01\x02" * 300, "binary data"),
        ("empty.csv", b"", "empty file"),
        ("blank.txt", b"\r\n  \n\t\n", "empty file"),
        ("prose.txt", "今天天气不错\n适合出去走走\n".encode(), "not a known export layout"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "Excel 97-2003"),
        ("archive.zip", zipped("chat.csv", b"shop,buyer"), "a ZIP archive, not an Excel workbook"),
        ("broken.xlsx", b"PK\x03\x04" + junk(600), "not a readable Excel workbook"),
        ("damaged.xlsx", zipped("xl/workbook.xml", b"<not xml"), "not a readable Excel workbook"),
        ("sheets.xlsx", xlsx_bytes({"Sheet1": [["a", "b"], [1, 2]]}), "no sheet with a known header"),
        ("unknown.csv", "colour,size,price\nred,M,10\n".encode(), "not a known export layout"),
        ("bad.parquet", b"PAR1" + junk(100) + b"PAR1", "not a readable Parquet file"),
        # not even the container's magic bytes: the name, not the content, says what it was meant to be
        ("cut.xlsx", junk(3000), "named like an Excel workbook, but its content is neither that nor text"),
        ("cut.parquet", junk(3000, seed=8), "named like a Parquet file"),
    ],
)
def test_unreadable_files_name_themselves_and_the_reason(tmp_path, name, data, why):
    path = write(tmp_path, name, data)
    with pytest.raises(UnreadableFile) as caught:
        parse(path)
    assert str(caught.value).startswith(f"{path}: ") and why in str(caught.value)
    assert isinstance(caught.value, UserError)


def test_a_folder_is_not_a_file(tmp_path):
    with pytest.raises(UnreadableFile, match="is a folder"):
        parse(tmp_path)
