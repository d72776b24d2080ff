"""The canonical CSV path is columnar: a large file takes a fraction of a second, not a row-by-row loop."""
import datetime as dt
import time

import polars as pl

from tests.conftest_ingest import AJIE, SHOP, XIAOYA, parse

ROWS = 200_000


def test_large_canonical_csv_is_read_columnwise(tmp_path):
    n = pl.int_range(0, ROWS)
    frame = pl.select(
        shop=pl.lit(SHOP),
        buyer=pl.format("tb_buyer{}", n % 5000),
        agent=pl.when(n % 2 == 0).then(pl.lit(XIAOYA)).otherwise(pl.lit(AJIE)),
        role=pl.when(n % 3 == 0).then(pl.lit("agent")).when(n % 7 == 0).then(pl.lit("auto")).otherwise(pl.lit("buyer")),
        sent_at=(pl.lit(dt.datetime(2026, 11, 16)) + pl.duration(seconds=n * 3)).dt.strftime("%Y-%m-%d %H:%M:%S"),
        text=pl.format("亲，这件外套有M码吗？第{}号", n % 1000),
    )
    path = tmp_path / "big.csv"
    frame.write_csv(path)
    started = time.perf_counter()
    parsed = parse(path)
    elapsed = time.perf_counter() - started
    assert (parsed.format, len(parsed.messages), len(parsed.quarantine)) == ("canonical-csv", ROWS, 0)
    assert parsed.messages["msg_id"].n_unique() == ROWS
    assert parsed.messages["source_line"][-1] == ROWS + 1
    # Generous for a shared machine: a loop in Python per row would take several seconds alone.
    assert elapsed < 5.0
