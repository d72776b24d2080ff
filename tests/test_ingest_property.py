"""Row accounting holds for any mix of good and bad canonical rows: rows_read = loaded + quarantined."""
import csv
import io

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.conftest_ingest import parse

NAME = st.text(alphabet="abcxyz019_星河服饰店小雅阿杰", min_size=1, max_size=8)
TEXT = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n,\"' \t"), max_size=30
)
TIME = st.sampled_from(["2026-11-16 09:12:03", "2026/11/16 9:12", "2026年11月16日 09:12:03", "2026-11-16T01:12:03Z",
                        "2026-11-16 09:12:03.123+08:00"])
ROLE = st.sampled_from(["buyer", "agent", "auto", "system", "买家", "客服", "自动回复", "系统", "Bot"])


@st.composite
def good_row(draw):
    role = draw(ROLE)
    return ["good", draw(NAME), draw(NAME), draw(NAME), role, draw(TIME), draw(TEXT)]


@st.composite
def bad_row(draw):
    shop, buyer, agent, text = draw(NAME), draw(NAME), draw(NAME), draw(TEXT)
    kind = draw(st.sampled_from(["time", "role", "buyer", "shop", "agent"]))
    row = {"shop": shop, "buyer": buyer, "agent": agent, "role": "buyer", "sent_at": "2026-11-16 09:12:03"}
    row |= {
        "time": {"sent_at": draw(st.sampled_from(["昨天下午3点", "2026-11-16", "13:00", "soon"]))},
        "role": {"role": draw(st.sampled_from(["boss", "客服主管", "?"]))},
        "buyer": {"buyer": ""},
        "shop": {"shop": ""},
        "agent": {"role": draw(st.sampled_from(["agent", "auto"])), "agent": ""},
    }[kind]
    return ["bad", row["shop"], row["buyer"], row["agent"], row["role"], row["sent_at"], text]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.one_of(good_row(), bad_row()), max_size=25), terminator=st.sampled_from(["\n", "\r\n"]))
def test_accounting_holds_for_any_mix(tmp_path_factory, rows, terminator):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=terminator)
    writer.writerow(["shop", "buyer", "agent", "role", "sent_at", "text"])
    writer.writerows(r[1:] for r in rows)
    path = tmp_path_factory.mktemp("prop") / "chat.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    parsed = parse(path)
    good = [r for r in rows if r[0] == "good"]
    assert parsed.rows_read == len(rows)
    assert len(parsed.messages) + len(parsed.quarantine) == parsed.rows_read
    assert len(parsed.messages) == len(good)
    assert parsed.messages["text"].to_list() == [r[6] for r in good]
    assert parsed.messages["msg_id"].n_unique() == len(good)


DAMAGE = st.sampled_from(["gbk line", "cut character", "cr only", "invalid byte"])
CJK = st.text(alphabet="星河服饰店小雅阿杰亲在的吗好谢", min_size=3, max_size=10)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.one_of(good_row(), bad_row()), min_size=1, max_size=25),
    damage=DAMAGE,
    chinese=st.lists(CJK, min_size=2, max_size=25),
    at=st.integers(min_value=0),
)
def test_accounting_holds_with_encoding_damage(tmp_path_factory, rows, damage, chinese, at):
    """Raw lines are counted from the outside: each one is a loaded message with its text as written or
    a quarantined row with its line, whatever the damage; only the damaged row is lost to the quarantine."""
    terminator = "\r" if damage == "cr only" else "\n"
    # Each text starts in Chinese, so that the damaged line is one of many non-ASCII lines (a file of one
    # non-ASCII line in GBK is a GBK file). Old Mac files hold no line feeds, the others no lone CRs.
    drop = "\r\n" if terminator == "\r" else "\r"
    rows = [[kind, *fields[:5], chinese[i % len(chinese)] + " " + fields[5].translate({ord(c): None for c in drop})]
            for i, (kind, *fields) in enumerate(rows)]
    at %= len(rows)
    assume(damage != "gbk line" or len(rows) >= 2)
    if damage == "cut character":
        rows[-1][6] = chinese[0]  # the file ends in a Chinese character (unquoted), which the cut splits
    lines = []
    for r in rows:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=terminator).writerow(r[1:])
        lines.append(buffer.getvalue())
    encoded = [line.encode("utf-8") for line in lines]
    damaged = None
    if damage == "gbk line":
        encoded[at] = lines[at].encode("gbk", errors="replace")
        damaged = at
    elif damage == "invalid byte":
        encoded[at] = encoded[at].replace(b" ", b" \xff", 1)
        damaged = at
    header = ("shop,buyer,agent,role,sent_at,text" + terminator).encode()
    data = header + b"".join(encoded)
    if damage == "cut character":
        data = data[: -len(terminator.encode()) - 1]  # the last row ends in a Chinese character: cut it
        damaged = len(rows) - 1
    path = tmp_path_factory.mktemp("prop") / "chat.csv"
    path.write_bytes(data)
    parsed = parse(path)
    line_of = [2]  # each row's first physical line, counting its quoted line breaks
    for line in lines[:-1]:
        line_of.append(line_of[-1] + line.count(terminator))
    assert parsed.rows_read == len(rows)
    assert len(parsed.messages) + len(parsed.quarantine) == parsed.rows_read
    good = [(line_of[i], r[6]) for i, r in enumerate(rows) if r[0] == "good" and i != damaged]
    assert sorted(zip(parsed.messages["source_line"].to_list(), parsed.messages["text"].to_list())) == good
    held = dict(zip(parsed.quarantine["source_line"].to_list(), parsed.quarantine["reason"].to_list()))
    if damaged is not None:
        assert line_of[damaged] in held
        reason = held[line_of[damaged]]
        assert ("truncated last line" in reason) if damage == "cut character" else (f"line {line_of[damaged]} " in reason)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(good_row(), min_size=2, max_size=25), data=st.data(),
       opener=st.sampled_from(['"', '"亲，', '"a,b']))
def test_accounting_holds_with_an_unclosed_quote(tmp_path_factory, rows, data, opener):
    """One text field opens a quote that never closes (counted from the outside: the raw line count).
    Every other row is loaded with its own line; only the broken row is quarantined, with its line."""
    at = data.draw(st.integers(0, len(rows) - 1))
    # Plain one-line texts, so that each row is one physical line and the file's lines can be counted.
    for i, r in enumerate(rows):
        r[6] = f"第{i}句"
    lines = ["shop,buyer,agent,role,sent_at,text"]
    for i, r in enumerate(rows):
        cells = [c.replace(",", "").replace('"', "") or "x" for c in r[1:6]]
        text = opener + r[6] if i == at else r[6]
        lines.append(",".join([*cells, text]))
    raw = "\n".join(lines) + "\n"
    path = tmp_path_factory.mktemp("quote") / "chat.csv"
    path.write_bytes(raw.encode("utf-8"))
    parsed = parse(path)
    physical = raw.count("\n") - 1  # data lines, counted from the bytes
    assert parsed.rows_read == physical == len(rows)
    assert len(parsed.messages) + len(parsed.quarantine) == physical
    assert parsed.quarantine["source_line"].to_list() == [at + 2]
    assert sorted(parsed.messages["source_line"].to_list()) == [i + 2 for i in range(len(rows)) if i != at]
    assert all(len(t) < 8 for t in parsed.messages["text"].to_list())  # nothing swallowed the rows after it
