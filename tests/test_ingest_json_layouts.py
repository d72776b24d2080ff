"""Page JSON, the Wangwang chat-log API response, and the sample generator's ground truth."""
import datetime as dt
import json

import pytest

from qc_pipeline.ingest import UnreadableFile
from tests.conftest_ingest import AJIE, BUYER, SHOP, XIAOYA, parse, reasons, rows, write


def dumps(doc) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2)


class TestPageJson:
    def test_the_active_buyer_nick_decides_the_sides(self, tmp_path):
        doc = {"activeNick": BUYER, "chatList": [
            {"groupTime": "2026-11-16"},
            {"chatTime": "09:12:03", "chatName": BUYER, "chatTextLeft": "在吗"},
            {"chatTime": "09:12:40", "chatName": SHOP, "chatTextLeft": "主账号回复"},
            {"chatTime": "09:12:50", "chatName": XIAOYA, "chatTextLeft": "【自动回复】稍等"},
            {"groupTime": "2026-11-17"},
            {"chatTime": "10:00:00", "chatName": BUYER, "chatTextLeft": "第二天"},
        ]}
        parsed = parse(write(tmp_path, "page.json", dumps(doc)))
        assert rows(parsed, "shop", "buyer", "agent", "role", "sent_at") == [
            (SHOP, BUYER, SHOP, "buyer", dt.datetime(2026, 11, 16, 9, 12, 3)),
            (SHOP, BUYER, SHOP, "agent", dt.datetime(2026, 11, 16, 9, 12, 40)),
            (SHOP, BUYER, XIAOYA, "auto", dt.datetime(2026, 11, 16, 9, 12, 50)),
            (SHOP, BUYER, XIAOYA, "buyer", dt.datetime(2026, 11, 17, 10, 0)),
        ]

    def test_without_a_nick_the_colon_rule_applies(self, tmp_path):
        doc = [
            {"groupTime": "2026-11-16"},
            {"chatTime": "09:12:03", "chatName": BUYER, "chatTextLeft": "在吗"},
            {"chatTime": "09:12:40", "chatName": AJIE, "chatTextLeft": "在的"},
        ]
        parsed = parse(write(tmp_path, "page.json", dumps(doc)))
        assert rows(parsed, "buyer", "agent", "role", "source_line") == [(BUYER, AJIE, "buyer", 5), (BUYER, AJIE, "agent", 10)]

    def test_a_time_before_any_date_is_quarantined(self, tmp_path):
        doc = [
            {"chatTime": "09:12:03", "chatName": BUYER, "chatTextLeft": "在吗"},
            {"groupTime": "2026-11-16"},
            {"chatTime": "09:12:40", "chatName": AJIE, "chatTextLeft": "在的"},
        ]
        parsed = parse(write(tmp_path, "page.json", dumps(doc)))
        assert rows(parsed, "role") == [("agent",)]
        assert reasons(parsed) == ["time '09:12:03' without a groupTime date before it"]


class TestWangwangApi:
    def response(self, msgs, **ids):
        return {"wangwang_eservice_chatlog_get_response": {"count": len(msgs), "msgs": {"msg": msgs}, **ids}}

    def test_directions_and_account_prefix(self, tmp_path):
        msgs = [
            {"direction": 0, "time": "2026-11-16 09:12:03", "content": "【自动回复】您好"},
            {"direction": "1", "time": "2026-11-16 09:12:10", "content": "在吗"},
            {"direction": 0, "time": "2026-11-16 09:12:40", "content": "在的"},
        ]
        doc = self.response(msgs, from_id=f"cntaobao{XIAOYA}", to_id=f"cntaobao{BUYER}")
        parsed = parse(write(tmp_path, "log.json", dumps(doc)))
        assert rows(parsed, "shop", "buyer", "agent", "role", "text") == [
            (SHOP, BUYER, XIAOYA, "auto", "【自动回复】您好"),
            (SHOP, BUYER, XIAOYA, "buyer", "在吗"),
            (SHOP, BUYER, XIAOYA, "agent", "在的"),
        ]
        assert parsed.quarantine.is_empty() and parsed.warnings == []

    def test_ids_may_be_given_the_other_way_round(self, tmp_path):
        doc = {"count": 1, "from_id": f"cntaobao{BUYER}", "to_id": f"cntaobao{XIAOYA}",
               "msgs": [{"direction": 0, "time": "2026-11-16 09:12:03", "content": "在吗"}]}
        parsed = parse(write(tmp_path, "log.json", dumps(doc)))
        assert rows(parsed, "buyer", "agent", "role") == [(BUYER, XIAOYA, "buyer")]

    def test_without_from_and_to_the_file_is_unreadable(self, tmp_path):
        doc = {"count": 1, "msgs": [{"direction": 0, "time": "2026-11-16 09:12:03", "content": "在吗"}]}
        with pytest.raises(UnreadableFile, match=r"log\.json: .*without from_id and to_id"):
            parse(write(tmp_path, "log.json", dumps(doc)))

    def test_bad_messages_and_a_wrong_count(self, tmp_path):
        msgs = [
            {"direction": 2, "time": "2026-11-16 09:12:03", "content": "?"},
            {"direction": 1, "time": "昨天下午3点", "content": "在吗"},
            {"direction": 0, "time": "2026-11-16 09:12:40", "content": "在的"},
        ]
        doc = self.response(msgs, from_id=f"cntaobao{XIAOYA}", to_id=f"cntaobao{BUYER}")
        doc["wangwang_eservice_chatlog_get_response"]["count"] = 5
        parsed = parse(write(tmp_path, "log.json", dumps(doc)))
        assert rows(parsed, "role") == [("agent",)]
        assert reasons(parsed) == ["unknown direction '2'", "unreadable time '昨天下午3点'"]
        assert parsed.warnings == ["count says 5 messages but the file holds 3"]

    def test_an_api_error_response_is_unreadable(self, tmp_path):
        doc = {"error_response": {"code": 27, "msg": "Invalid session", "sub_msg": "会话已过期"}}
        with pytest.raises(UnreadableFile, match="会话已过期"):
            parse(write(tmp_path, "log.json", dumps(doc)))


def test_ground_truth_file_is_ignored(tmp_path):
    parsed = parse(write(tmp_path, "truth.json", dumps({"chat_qc_truth": {"weeks": ["2026-W47"]}, "planted": []})))
    assert (parsed.kind, parsed.rows_read, parsed.messages) == ("ignored", 0, None)


def test_invalid_json_names_the_line(tmp_path):
    text = '{\n  "msgs": [\n    {"direction": 0,\n'
    with pytest.raises(UnreadableFile, match=r"cut\.json: invalid JSON at line 4"):
        parse(write(tmp_path, "cut.json", text))


def test_json_of_no_known_layout_is_unreadable(tmp_path):
    with pytest.raises(UnreadableFile, match=r"other\.json: JSON, but not a known export layout"):
        parse(write(tmp_path, "other.json", '{"hello": "world"}'))
