"""Message identity: stable across loads, distinct for repeated lines, blind to a buyer line's inferred agent."""
import hashlib
import json

from tests.conftest_ingest import AJIE, BUYER, CANONICAL_HEADER, SHOP, XIAOYA, parse, write


def md5(*fields: str) -> str:
    return hashlib.md5(chr(31).join(fields).encode("utf-8")).hexdigest()


def test_definition(tmp_path):
    content = CANONICAL_HEADER + "\n" + "\n".join([
        f"{SHOP},{BUYER},{XIAOYA},buyer,2026-11-16 09:12:03,在吗",
        f"{SHOP},{BUYER},{XIAOYA},agent,2026-11-16 09:12:40.5,在的",
        f"{SHOP},{BUYER},,system,2026-11-16 09:13:00,系统提示",
    ]) + "\n"
    ids = parse(write(tmp_path, "c.csv", content)).messages["msg_id"].to_list()
    assert ids == [
        md5(SHOP, BUYER, "", "buyer", "2026-11-16 09:12:03.000000", "在吗", "0"),
        md5(SHOP, BUYER, XIAOYA, "agent", "2026-11-16 09:12:40.500000", "在的", "0"),
        md5(SHOP, BUYER, "", "system", "2026-11-16 09:13:00.000000", "系统提示", "0"),
    ]


def test_same_bytes_give_the_same_ids(tmp_path):
    content = CANONICAL_HEADER + "\n" + f"{SHOP},{BUYER},{XIAOYA},buyer,2026-11-16 09:12:03,在吗\n"
    first = parse(write(tmp_path, "a.csv", content)).messages["msg_id"].to_list()
    again = parse(write(tmp_path, "b.csv", content)).messages["msg_id"].to_list()
    assert first == again


def test_two_identical_lines_are_two_messages(tmp_path):
    same = f"{SHOP},{BUYER},{XIAOYA},buyer,2026-11-16 09:12:03,在吗"
    other = f"{SHOP},{BUYER},{XIAOYA},agent,2026-11-16 09:12:04,在的"
    parsed = parse(write(tmp_path, "c.csv", "\n".join([CANONICAL_HEADER, same, other, same, same]) + "\n"))
    ids = parsed.messages["msg_id"].to_list()
    assert len(set(ids)) == 4
    base = (SHOP, BUYER, "", "buyer", "2026-11-16 09:12:03.000000", "在吗")
    assert [ids[0], ids[2], ids[3]] == [md5(*base, "0"), md5(*base, "1"), md5(*base, "2")]


def test_a_buyer_line_id_does_not_depend_on_its_inferred_agent(tmp_path):
    served_by_xiaoya = f"{BUYER} 2026-11-16 9:00:00\r\n在吗\r\n{XIAOYA} 2026-11-16 9:00:30\r\n在的\r\n"
    served_by_ajie = f"{BUYER} 2026-11-16 9:00:00\r\n在吗\r\n{AJIE} 2026-11-16 9:00:30\r\n在的\r\n"
    a = parse(write(tmp_path, "a.txt", served_by_xiaoya)).messages
    b = parse(write(tmp_path, "b.txt", served_by_ajie)).messages
    assert a["agent"][0] == XIAOYA and b["agent"][0] == AJIE
    assert a["msg_id"][0] == b["msg_id"][0]
    assert a["msg_id"][1] != b["msg_id"][1]


def test_the_same_message_has_the_same_id_in_any_layout(tmp_path):
    csv = CANONICAL_HEADER + "\n" + f"{SHOP},{BUYER},{XIAOYA},buyer,2026-11-16 09:12:03,在吗\n"
    jsonl = json.dumps({"shop": SHOP, "buyer": BUYER, "agent": AJIE, "role": "买家", "sent_at": "2026-11-16T01:12:03Z",
                        "text": "在吗"}, ensure_ascii=False) + "\n"
    web = f"2026-11-16\n09:12:03\n在吗\n{BUYER}\n\n09:12:40\n在的\n{XIAOYA}\n"
    ids = {parse(write(tmp_path, name, text)).messages["msg_id"][0] for name, text in
           (("a.csv", csv), ("b.jsonl", jsonl), ("c.txt", web))}
    assert len(ids) == 1


def test_ids_are_unique_within_a_file_of_many_repeats(tmp_path):
    lines = [f"{SHOP},{BUYER},{XIAOYA},buyer,2026-11-16 09:12:03,在吗"] * 50 + [
        f"{SHOP},b{i % 7},{XIAOYA},agent,2026-11-16 09:12:0{i % 3},好" for i in range(50)
    ]
    parsed = parse(write(tmp_path, "c.csv", "\n".join([CANONICAL_HEADER, *lines]) + "\n"))
    assert parsed.messages["msg_id"].n_unique() == 100
