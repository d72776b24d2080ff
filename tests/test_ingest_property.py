"""Row accounting holds for any mix of good and bad canonical rows: rows_read = loaded + quarantined."""
import csv
import io

from hypothesis import HealthCheck, given, settings
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
