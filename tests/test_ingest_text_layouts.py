"""Qianniu desktop window copies and web chat-record pages: noise, transfers and who served whom."""
import datetime as dt

import pytest

from qc_pipeline.config import Config, load_config
from tests.conftest_ingest import AJIE, BUYER, SHOP, XIAOYA, parse, reasons, rows, write


def crlf(*lines: str) -> str:
    return "".join(line + "\r\n" for line in lines)


def t(hms: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2026-11-16 {hms}")


class TestDesktop:
    def test_every_kind_of_noise_is_counted_not_loaded(self, tmp_path):
        text = crlf(
            "当前用户来自 手机淘宝",
            f"{BUYER} 2026-11-16 9:11:00",
            "这件有货吗",
            "https://item.taobao.com/item.htm?id=6620",
            "星河加厚羽绒服 ¥299.00",
            "未读",
            f"{XIAOYA} 2026-11-16 9:12:41",
            "亲，在的，现在下单￥199，包邮哦",
            "发送中",
            "已读",
            f"{BUYER} 撤回了一条消息",
            f"{XIAOYA} --> {AJIE} 2026-11-16 09:14:00",
            f"由 服务助手 转交给 {AJIE}",
            "原因：【离线留言自动分配】",
            f"{AJIE} 2026-11-16 9:15:00",
            "您好，我是阿杰",
        )
        parsed = parse(write(tmp_path, "w.txt", text))
        assert rows(parsed, "role", "agent", "text") == [
            ("buyer", XIAOYA, "这件有货吗"),
            ("agent", XIAOYA, "亲，在的，现在下单￥199，包邮哦"),
            ("agent", AJIE, "您好，我是阿杰"),
        ]
        assert parsed.noise_lines == 10

    def test_header_forms(self, tmp_path):
        text = crlf(
            f"{BUYER}2026-1-6 9:02:03", "没有空格",
            f"{XIAOYA} 2026-01-06 09:02:30", "两位数",
            f"[{BUYER}] 2026-1-6 9:03:00", "方括号",
        )
        parsed = parse(write(tmp_path, "w.txt", text))
        assert rows(parsed, "buyer", "role", "sent_at", "text") == [
            (BUYER, "buyer", dt.datetime(2026, 1, 6, 9, 2, 3), "没有空格"),
            (BUYER, "agent", dt.datetime(2026, 1, 6, 9, 2, 30), "两位数"),
            (BUYER, "buyer", dt.datetime(2026, 1, 6, 9, 3), "方括号"),
        ]

    def test_buyer_agent_is_the_latest_agent_or_transfer_target_else_the_first_agent_after(self, tmp_path):
        text = crlf(
            f"{BUYER} 2026-11-16 9:00:00", "第一句，还没有客服",
            f"{XIAOYA} 2026-11-16 9:00:30", "您好",
            f"{BUYER} 2026-11-16 9:01:00", "问小雅",
            f"{XIAOYA} --> {AJIE} 2026-11-16 09:02:00",
            f"{BUYER} 2026-11-16 9:03:00", "转给阿杰了",
        )
        parsed = parse(write(tmp_path, "w.txt", text))
        assert rows(parsed, "role", "agent", "shop") == [
            ("buyer", XIAOYA, SHOP), ("agent", XIAOYA, SHOP), ("buyer", XIAOYA, SHOP), ("buyer", AJIE, SHOP),
        ]

    def test_agent_is_kept_exactly_as_exported_and_shop_is_before_the_first_colon(self, tmp_path):
        account = "云朵家居:售后:小美"
        text = crlf(f"{BUYER} 2026-11-16 9:00:00", "在吗", f"{account} 2026-11-16 9:00:30", "在的")
        parsed = parse(write(tmp_path, "w.txt", text))
        assert rows(parsed, "shop", "agent") == [("云朵家居", account)] * 2

    def test_auto_replies_follow_the_configured_patterns(self, tmp_path):
        text = crlf(
            f"{XIAOYA} 2026-11-16 9:00:00", "【自动回复】您好，欢迎光临",
            f"{XIAOYA} 2026-11-16 9:00:01", "[机器人] 请问有什么可以帮您",
            f"{XIAOYA} 2026-11-16 9:00:02", "亲，自动回复不算",
            f"{BUYER} 2026-11-16 9:00:03", "【自动回复】买家抄的也不算",
        )
        path = write(tmp_path, "w.txt", text)
        assert [r[0] for r in rows(parse(path), "role")] == ["auto", "auto", "agent", "buyer"]
        shipped = load_config().raw
        raw = dict(shipped, ingest={**shipped["ingest"], "auto_reply_patterns": ["^亲"]})
        assert [r[0] for r in rows(parse(path, Config(raw)), "role")] == ["agent", "agent", "auto", "buyer"]

    def test_text_is_verbatim_inside(self, tmp_path):
        text = crlf(f"{XIAOYA} 2026-11-16 9:00:00", "  第一行有空格  ", "", "第三行\t制表符", f"{BUYER} 2026-11-16 9:00:10", "好")
        parsed = parse(write(tmp_path, "w.txt", text))
        assert rows(parsed, "text")[0] == ("  第一行有空格  \n\n第三行\t制表符",)

    def test_a_message_that_is_only_a_product_card_keeps_the_card(self, tmp_path):
        text = crlf(f"{BUYER} 2026-11-16 9:00:00", "https://item.taobao.com/item.htm?id=1", "已读", f"{XIAOYA} 2026-11-16 9:00:10", "这款有货")
        parsed = parse(write(tmp_path, "w.txt", text))
        assert rows(parsed, "role", "text") == [("buyer", "https://item.taobao.com/item.htm?id=1"), ("agent", "这款有货")]
        assert parsed.noise_lines == 1

    def test_without_any_sub_account_buyer_lines_are_quarantined(self, tmp_path):
        text = crlf(f"{BUYER} 2026-11-16 9:00:00", "在吗", f"{BUYER} 2026-11-16 9:00:05", "在吗")
        parsed = parse(write(tmp_path, "w.txt", text))
        assert parsed.messages.is_empty()
        assert reasons(parsed) == ["no shop sub-account in this file to attribute the buyer's messages"] * 2
        assert parsed.quarantine["raw"][0] == f"{BUYER} 2026-11-16 9:00:00\n在吗"

    def test_file_cut_inside_a_header_quarantines_the_fragment(self, tmp_path):
        text = crlf(f"{BUYER} 2026-11-16 9:00:00", "在吗", f"{XIAOYA} 2026-11-16 9:00:30", "在的") + f"{BUYER} 2026-11-16 9:0"
        parsed = parse(write(tmp_path, "w.txt", text))
        assert rows(parsed, "text") == [("在吗",), ("在的",)]
        assert reasons(parsed) == [f"truncated last line '{BUYER} 2026-11-16 9:0'"]
        assert parsed.quarantine["source_line"].to_list() == [5]

    def test_file_cut_inside_a_message_keeps_what_is_there(self, tmp_path):
        text = crlf(f"{BUYER} 2026-11-16 9:00:00", "在吗", f"{XIAOYA} 2026-11-16 9:00:30") + "亲，在"
        parsed = parse(write(tmp_path, "w.txt", text))
        assert rows(parsed, "text") == [("在吗",), ("亲，在",)]

    def test_lines_before_the_first_header_are_reported(self, tmp_path):
        text = crlf("与 tb_maomao88 的聊天记录", f"{BUYER} 2026-11-16 9:00:00", "在吗", f"{XIAOYA} 2026-11-16 9:00:30", "在的")
        parsed = parse(write(tmp_path, "w.txt", text))
        assert len(parsed.messages) == 2 and parsed.warnings == ["1 line(s) before the first message header were skipped"]


class TestWeb:
    @pytest.mark.parametrize("date", ["2026-11-16", "2026/11/16", "2026年11月16日", "2026-1-6", "2026年1月6日"])
    def test_date_line_forms(self, tmp_path, date):
        text = f"{date}\n9:12\n在吗\n{BUYER}\n\n09:12:40\n在的\n{XIAOYA}\n"
        parsed = parse(write(tmp_path, "web.txt", text))
        day = dt.date(2026, 11, 16) if "11" in date else dt.date(2026, 1, 6)
        assert rows(parsed, "sent_at") == [(dt.datetime.combine(day, dt.time(9, 12)),), (dt.datetime.combine(day, dt.time(9, 12, 40)),)]

    def test_a_date_line_applies_until_the_next(self, tmp_path):
        text = (
            f"2026-11-16\n23:59:00\n在吗\n{BUYER}\n\n"
            f"2026-11-17\n\n00:00:30\n在的\n{XIAOYA}\n\n"
            f"00:01:00\n好的\n{BUYER}\n"
        )
        parsed = parse(write(tmp_path, "web.txt", text))
        assert rows(parsed, "sent_at", "source_line") == [
            (dt.datetime(2026, 11, 16, 23, 59), 2),
            (dt.datetime(2026, 11, 17, 0, 0, 30), 8),
            (dt.datetime(2026, 11, 17, 0, 1), 12),
        ]

    def test_message_with_blank_lines_inside(self, tmp_path):
        text = f"2026-11-16\n09:12:03\n第一段\n\n第二段\n{XIAOYA}\n\n09:13:00\n好\n{BUYER}\n"
        parsed = parse(write(tmp_path, "web.txt", text))
        assert rows(parsed, "text") == [("第一段\n\n第二段",), ("好",)]

    def test_bad_blocks_are_quarantined(self, tmp_path):
        text = (
            f"09:00:00\n没有日期\n{BUYER}\n\n"
            f"2026-11-16\n09:12:03\n{BUYER}\n\n"
            f"09:13:00\n在的\n{XIAOYA}\n\n"
            f"{BUYER} 撤回了一条消息\n\n"
            "孤立的一行\n"
        )
        parsed = parse(write(tmp_path, "web.txt", text))
        assert rows(parsed, "role", "text") == [("agent", "在的")]
        assert reasons(parsed) == [
            "time '09:00:00' without a date line before it",
            "incomplete message block (a time line, text and the sender expected)",
            "text outside any message block (no time line)",
        ]
        assert parsed.noise_lines == 1

    def test_file_cut_inside_the_last_sender(self, tmp_path):
        text = f"2026-11-16\n09:12:03\n在吗\n{BUYER}\n\n09:12:40\n在的\n{XIAOYA}\n\n09:15:02\n还有吗\n{XIAOYA[:-1]}"
        parsed = parse(write(tmp_path, "web.txt", text))
        assert len(parsed.messages) == 2 and reasons(parsed) == [f"truncated last line '{XIAOYA[:-1]}'"]

    def test_buyer_before_any_agent_takes_the_first_agent_after(self, tmp_path):
        text = f"2026-11-16\n09:12:03\n在吗\n{BUYER}\n\n09:12:40\n在的\n{AJIE}\n"
        parsed = parse(write(tmp_path, "web.txt", text))
        assert rows(parsed, "agent", "shop") == [(AJIE, SHOP), (AJIE, SHOP)]

    def test_agent_lines_without_any_buyer_are_quarantined(self, tmp_path):
        text = f"2026-11-16\n09:12:40\n在的\n{XIAOYA}\n"
        parsed = parse(write(tmp_path, "web.txt", text))
        assert reasons(parsed) == ["no buyer in this file to attribute the agent's messages"]
