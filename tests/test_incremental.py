"""Incremental weekly runs give exactly the tables of loading everything at once.

The data: the sample generator's three weeks (two shops, sessions crossing Sunday midnight, inquiry
windows reaching into the next week, orders created in one week and paid in the next), plus a buyer who
chats every 20 minutes from Saturday to Tuesday (one session longer than any read margin). It is written
as canonical chat and order files cut at random points, and loaded in random groups and orders.
"""
from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qc_pipeline.conductor import BUYER_TABLES, MONTHLY_TABLES, WEEKLY_TABLES
from qc_pipeline.config import load_config
from qc_pipeline.pipeline import ingest_paths, rebuild
from qc_pipeline.sample import generate_sample
from qc_pipeline.store.warehouse import open_warehouse

DERIVED = (*BUYER_TABLES, *WEEKLY_TABLES, *MONTHLY_TABLES)
# Columns that say when something was computed, not what.
VOLATILE = {"built_at"}
CHAT_COLUMNS = ["shop", "buyer", "agent", "role", "sent_at", "text"]
ORDER_COLUMNS = ["order_id", "shop", "buyer", "created_at", "paid_at", "amount", "refund_amount", "status"]


def _write(path: Path, columns: list[str], rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: "" if row[c] is None else row[c] for c in columns})
    return path


def _marathon_buyer(shop: str, agent: str) -> list[dict]:
    """A buyer writing every 20 minutes while the shop is on duty (08:40 to 00:20, so the night's gap is
    20 on-duty minutes) from Tuesday 2026-11-03 to Tuesday 11-17, answered each time: one session of two
    weeks, longer than a week and the margin read around it."""
    rows, t = [], dt.datetime(2026, 11, 3, 9, 0)
    while t < dt.datetime(2026, 11, 17, 23, 0):
        if t.time() >= dt.time(8, 40) or t.time() <= dt.time(0, 20):
            stamp = t.strftime("%Y-%m-%d %H:%M:%S")
            rows.append({"shop": shop, "buyer": "马拉松买家", "agent": agent, "role": "buyer", "sent_at": stamp,
                         "text": f"还在吗 {t:%d%H%M}"})
            reply = (t + dt.timedelta(seconds=40)).strftime("%Y-%m-%d %H:%M:%S")
            rows.append({"shop": shop, "buyer": "马拉松买家", "agent": agent, "role": "agent", "sent_at": reply,
                         "text": f"在的亲 {t:%d%H%M}"})
        t += dt.timedelta(minutes=20)
    return rows


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """Every chat row and order of the data set, and the roster file."""
    folder = tmp_path_factory.mktemp("sample3")
    generate_sample(folder, seed=3, weeks=3, end_week="2026-W47")
    con = open_warehouse(folder / "scratch.duckdb")
    ingest_paths(con, [folder], load_config(), orders=[folder / "orders_report.csv"], roster=folder / "roster.csv")
    chats = con.sql("SELECT shop, buyer, agent, role, strftime(sent_at, '%Y-%m-%d %H:%M:%S') AS sent_at, text "
                    "FROM messages ORDER BY source_path, source_line").pl().to_dicts()
    orders = con.sql("SELECT order_id, shop, buyer, strftime(created_at, '%Y-%m-%d %H:%M:%S') AS created_at, "
                     "strftime(paid_at, '%Y-%m-%d %H:%M:%S') AS paid_at, amount, refund_amount, status "
                     "FROM orders ORDER BY order_id").pl().to_dicts()
    shop, agent = chats[0]["shop"], next(r["agent"] for r in chats if r["role"] == "agent")
    con.close()
    return chats + _marathon_buyer(shop, agent), orders, folder / "roster.csv"


def _cut(rows: list[dict], pieces: int, rng: random.Random) -> list[list[dict]]:
    cuts = sorted(rng.sample(range(1, len(rows)), pieces - 1))
    return [rows[a:b] for a, b in zip([0, *cuts], [*cuts, len(rows)])]


def _files(source, folder: Path, seed: int) -> tuple[list[Path], list[Path]]:
    """The data as canonical CSV files: chats in time order cut at random points (so files hold part of
    a week, a week and a half, …), orders cut into disjoint random groups."""
    chats, orders, _ = source
    rng = random.Random(seed)
    ordered = sorted(chats, key=lambda r: r["sent_at"])
    chat_files = [_write(folder / f"chat_{i}.csv", CHAT_COLUMNS, part)
                  for i, part in enumerate(_cut(ordered, rng.randint(3, 6), rng))]
    shuffled = orders[:]
    rng.shuffle(shuffled)
    order_files = [_write(folder / f"orders_{i}.csv", ORDER_COLUMNS, part)
                   for i, part in enumerate(_cut(shuffled, rng.randint(2, 3), rng))]
    return chat_files, order_files


def _tables(con) -> dict[str, pl.DataFrame]:
    out = {}
    for table in DERIVED:
        frame = con.sql(f'SELECT * FROM "{table}"').pl()
        frame = frame.drop([c for c in frame.columns if c in VOLATILE])
        out[table] = frame.sort(frame.columns, nulls_last=True)
    return out


def _load(db: Path, groups: list[list[Path]], order_paths: set[Path], roster: Path) -> dict[str, pl.DataFrame]:
    config = load_config()
    con = open_warehouse(db)
    try:
        ingest_paths(con, [], config, roster=roster)
        for group in groups:
            chats = [p for p in group if p not in order_paths]
            orders = [p for p in group if p in order_paths]
            ingest_paths(con, chats, config, orders=orders)
            rebuild(con, config)
        return _tables(con)
    finally:
        con.close()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), data=st.data())
def test_any_sequence_of_runs_equals_loading_everything_at_once(source, tmp_path_factory, seed, data):
    folder = tmp_path_factory.mktemp("inc")
    chat_files, order_files = _files(source, folder, seed)
    files = chat_files + order_files
    everything = _load(folder / "all.duckdb", [files], set(order_files), source[2])

    order = data.draw(st.permutations(files), label="file order")
    groups, i = [], 0
    while i < len(order):
        n = data.draw(st.integers(1, 3), label="files in this run")
        groups.append(order[i:i + n])
        i += n
    stepwise = _load(folder / "steps.duckdb", groups, set(order_files), source[2])
    for table in DERIVED:
        assert stepwise[table].equals(everything[table]), (table, groups)
    assert len(everything["sessions"]) > 100 and len(everything["inquiries"]) > 50


def test_the_long_session_is_one_session_across_the_week_edge(source, tmp_path):
    chat_files, order_files = _files(source, tmp_path, seed=1)
    config = load_config()
    con = open_warehouse(tmp_path / "qc.duckdb")
    for path in sorted(chat_files, reverse=True):  # latest part first
        ingest_paths(con, [path], config)
        rebuild(con, config)
    sessions = con.sql("SELECT started_at, ended_at, n_buyer_msgs FROM sessions WHERE buyer = '马拉松买家'").fetchall()
    expected = sum(1 for r in source[0] if r["buyer"] == "马拉松买家" and r["role"] == "buyer")
    assert sessions == [(dt.datetime(2026, 11, 3, 9, 0), dt.datetime(2026, 11, 17, 22, 40, 40), expected)]
    rounds = con.sql("SELECT week, count(*) FROM rounds WHERE buyer = '马拉松买家' GROUP BY week ORDER BY week").fetchall()
    assert [w for w, _ in rounds] == ["2026-W45", "2026-W46", "2026-W47"]
    con.close()


def test_a_new_week_recomputes_only_what_it_touches(source, tmp_path):
    """Adding the last week leaves the first week's partitions alone (not rebuilt, rows identical)."""
    chats, orders, roster = source
    by_week: dict[str, list[dict]] = {}
    for row in chats:
        week = dt.datetime.strptime(row["sent_at"], "%Y-%m-%d %H:%M:%S").strftime("%G-W%V")
        by_week.setdefault(week, []).append(row)
    weeks = sorted(by_week)
    config = load_config()
    con = open_warehouse(tmp_path / "qc.duckdb")
    ingest_paths(con, [], config, roster=roster)
    for week in weeks[:-1]:
        ingest_paths(con, [_write(tmp_path / f"{week}.csv", CHAT_COLUMNS, by_week[week])], config)
        rebuild(con, config)
    first = weeks[0]
    before = con.sql(f"SELECT * FROM rounds WHERE week = '{first}' ORDER BY ALL").fetchall()
    built = con.sql("SELECT shop, week, built_at FROM partitions ORDER BY ALL").fetchall()
    ingest_paths(con, [_write(tmp_path / f"{weeks[-1]}.csv", CHAT_COLUMNS, by_week[weeks[-1]])], config)
    result = rebuild(con, config)
    assert result.weeks == [weeks[-1]]
    after = dict(((s, w), b) for s, w, b in con.sql("SELECT shop, week, built_at FROM partitions").fetchall())
    assert all(after[(s, w)] == b for s, w, b in built)  # the earlier weeks' partitions were not rebuilt
    assert con.sql(f"SELECT * FROM rounds WHERE week = '{first}' ORDER BY ALL").fetchall() == before
    con.close()


def test_a_new_rule_set_recomputes_every_partition_and_nothing_when_unchanged(source, tmp_path):
    chat_files, order_files = _files(source, tmp_path, seed=2)
    config = load_config()
    con = open_warehouse(tmp_path / "qc.duckdb")
    ingest_paths(con, chat_files, config, orders=order_files)
    first = rebuild(con, config)
    assert first.partitions > 0
    assert rebuild(con, config).partitions == 0
    switched = tmp_path / "shop_rules.yaml"
    switched.write_text("rules:\n  - {id: SVC-SLANG, enabled: false}\n", encoding="utf-8")
    from qc_pipeline.rules import load_ruleset

    again = rebuild(con, config, load_ruleset([switched]))
    assert again.partitions == first.partitions
    assert con.execute("SELECT count(*) FROM flags WHERE category = 'slang'").fetchall() == [(0,)]
    assert {v for (v,) in con.sql("SELECT DISTINCT rule_version FROM partitions").fetchall()} == {
        load_ruleset([switched]).version}
    con.close()


def test_a_late_message_of_a_long_session_reads_back_to_its_start(source, tmp_path):
    """A week is read with a margin of a few days; a conversation that started before the margin is
    read further back, so its rounds keep their session and numbering."""
    chat_files, order_files = _files(source, tmp_path, seed=4)
    shop, agent = next((r["shop"], r["agent"]) for r in source[0] if r["buyer"] == "马拉松买家")
    late = _write(tmp_path / "late.csv", CHAT_COLUMNS, [
        {"shop": shop, "buyer": "马拉松买家", "agent": agent, "role": "buyer", "sent_at": "2026-11-17 22:50:00",
         "text": "最后一个问题"},
    ])
    everything = _load(tmp_path / "all.duckdb", [chat_files + order_files + [late]], set(order_files), source[2])
    stepwise = _load(tmp_path / "steps.duckdb", [chat_files + order_files, [late]], set(order_files), source[2])
    for table in DERIVED:
        assert stepwise[table].equals(everything[table]), table
    rounds = everything["rounds"].filter(pl.col("buyer") == "马拉松买家")
    assert rounds["session_id"].n_unique() == 1 and rounds["round_no"].max() == len(rounds)


# A rule set that changes flags all over the data: a new rule on a word nearly every conversation has
# (the marathon buyer's two-week session included), a rule switched off and a rule re-weighted.
NEW_RULES = """\
rules:
  - {id: SVC-SLANG, enabled: false}
  - {id: SVC-HEDGING, weight: 2.5}
  - id: TEST-QIN
    category: hedging
    severity: minor
    terms: ["亲"]
    boundary: none
    explanation_zh: 测试规则
    explanation_en: A rule for the test.
    source: tests
"""
# The tables a new rule set or scorecard must leave as they are.
KEPT_BY_RULES = ("sessions", "rounds", "inquiries", "order_attribution", "shop_week")


def _rules_and_card(tmp_path):
    from qc_pipeline.rules import load_ruleset
    from qc_pipeline.scoring.scorecard import load_scorecard

    rules = tmp_path / "new_rules.yaml"
    rules.write_text(NEW_RULES, encoding="utf-8")
    card = tmp_path / "scorecard.toml"
    card.write_text("[compliance]\nminor = 7\nmajor = 20\n\n[weights]\noutcome = 0.5\n", encoding="utf-8")
    return load_ruleset([rules]), load_scorecard(card)


def _assert_equal(got: dict, want: dict) -> None:
    for table in DERIVED:
        assert got[table].equals(want[table]), table


def test_a_new_rule_set_recomputes_flags_and_scores_not_rounds(source, tmp_path):
    """After a rule-file change, a run recomputes flags, scores and the agent-weekly tables from stored rows
    and gives what a full rebuild with the new rules gives; sessions, rounds and conversion stay as stored."""
    chat_files, order_files = _files(source, tmp_path, seed=5)
    config = load_config()
    rules, _ = _rules_and_card(tmp_path)
    con = open_warehouse(tmp_path / "qc.duckdb")
    ingest_paths(con, [], config, roster=source[2])
    ingest_paths(con, chat_files, config, orders=order_files)
    rebuild(con, config)
    before = _tables(con)
    result = rebuild(con, config, rules)
    assert result.partitions == result.rule_partitions > 0
    assert set(result.written) == {"flags", "session_scores", "score_deductions", "agent_week", "agent_week_flags",
                                   "agent_month"}
    after = _tables(con)
    for table in KEPT_BY_RULES:
        assert after[table].equals(before[table]), table
    for table in ("flags", "session_scores", "score_deductions", "agent_week", "agent_week_flags"):
        assert not after[table].equals(before[table]), table  # the new rules do change them
    assert after["flags"].filter(pl.col("buyer") == "马拉松买家", pl.col("rule_id") == "TEST-QIN")["week"].n_unique() == 3
    rebuild(con, config, rules, force=True)  # `qc rebuild` with the new rules
    _assert_equal(after, _tables(con))
    assert rebuild(con, config, rules).partitions == 0
    con.close()


def test_a_new_scorecard_recomputes_scores_only(source, tmp_path):
    chat_files, order_files = _files(source, tmp_path, seed=6)
    config = load_config()
    _, card = _rules_and_card(tmp_path)
    con = open_warehouse(tmp_path / "qc.duckdb")
    ingest_paths(con, [], config, roster=source[2])
    ingest_paths(con, chat_files, config, orders=order_files)
    rebuild(con, config)
    before = _tables(con)
    result = rebuild(con, config, scorecard=card)
    assert result.partitions == result.score_partitions > 0
    assert set(result.written) == {"session_scores", "score_deductions", "agent_week", "agent_week_flags",
                                   "agent_month"}
    after = _tables(con)
    assert after["flags"].equals(before["flags"]) and not after["session_scores"].equals(before["session_scores"])
    rebuild(con, config, scorecard=card, force=True)
    _assert_equal(after, _tables(con))
    con.close()


def test_new_input_and_new_rules_in_one_run_equal_a_full_rebuild(source, tmp_path):
    """Partitions with new input are rebuilt in full, the others get new flags and scores only; together
    they equal a full rebuild, across the edge between the two kinds."""
    chat_files, order_files = _files(source, tmp_path, seed=7)
    config = load_config()
    rules, card = _rules_and_card(tmp_path)
    con = open_warehouse(tmp_path / "qc.duckdb")
    ingest_paths(con, [], config, roster=source[2])
    ingest_paths(con, chat_files[:-1], config, orders=order_files)
    rebuild(con, config)
    ingest_paths(con, chat_files[-1:], config)
    result = rebuild(con, config, rules, card)
    assert 0 < result.rule_partitions < result.partitions
    after = _tables(con)
    rebuild(con, config, rules, card, force=True)
    _assert_equal(after, _tables(con))
    con.close()


def test_batches_keep_under_the_limit_and_give_the_same_tables(source, tmp_path, monkeypatch):
    """Shops are derived a batch at a time. A batch stops before the shop that would take it past
    BATCH_MESSAGES (only a shop that alone holds more makes a larger one), every shop is in exactly one
    batch, and the tables do not depend on how the shops were cut into batches."""
    import importlib

    rebuild_module = importlib.import_module("qc_pipeline.conductor.rebuild")
    chat_files, order_files = _files(source, tmp_path, seed=11)
    whole = _load(tmp_path / "one_batch.duckdb", [chat_files + order_files], set(order_files), source[2])

    con = open_warehouse(tmp_path / "one_batch.duckdb")
    try:
        # every partition is a target, so a shop's batch holds all its messages
        sizes = dict(con.execute("SELECT shop, count(*) FROM messages GROUP BY shop").fetchall())
        targets = con.sql("SELECT shop, week FROM partitions ORDER BY shop, week").pl()
        smallest = sorted(sizes.values())
        limit = smallest[0] + smallest[1] - 1                      # no two shops fit together
        monkeypatch.setattr(rebuild_module, "BATCH_MESSAGES", limit)
        cut = rebuild_module._batches(con, targets, load_config())
        monkeypatch.setattr(rebuild_module, "BATCH_MESSAGES", 10 ** 9)
        together = rebuild_module._batches(con, targets, load_config())
    finally:
        con.close()
    assert len(sizes) >= 2
    assert [shops for _, shops in cut] == [[s] for s in sorted(sizes)]
    assert [shops for _, shops in together] == [sorted(sizes)]

    monkeypatch.setattr(rebuild_module, "BATCH_MESSAGES", limit)
    batched = _load(tmp_path / "batched.duckdb", [chat_files + order_files], set(order_files), source[2])
    _assert_equal(batched, whole)


def test_a_batch_is_sized_by_the_messages_of_its_target_weeks(source, tmp_path):
    """A new week of a warehouse with a long history is cut into batches by that week's messages, not by
    each shop's history (which made every shop a batch of its own)."""
    import importlib

    from qc_pipeline.store.partitions import messages_in_weeks

    rebuild_module = importlib.import_module("qc_pipeline.conductor.rebuild")
    chat_files, order_files = _files(source, tmp_path, seed=13)
    _load(tmp_path / "qc.duckdb", [chat_files + order_files], set(order_files), source[2])
    con = open_warehouse(tmp_path / "qc.duckdb")
    try:
        ((last,),) = con.execute("SELECT max(week) FROM partitions").fetchall()
        targets = con.sql("SELECT shop, week FROM partitions WHERE week = ?", params=[last]).pl()
        want = dict(con.execute("SELECT shop, count(*) FROM messages WHERE strftime(sent_at, '%G-W%V') = ? "
                                "GROUP BY shop", [last]).fetchall())
        history = dict(con.execute("SELECT shop, count(*) FROM messages GROUP BY shop").fetchall())
        got = messages_in_weeks(con, rebuild_module._week_bounds(targets))
    finally:
        con.close()
    assert got == want and sum(want.values()) > 0
    assert all(got[shop] < history[shop] for shop in got)
