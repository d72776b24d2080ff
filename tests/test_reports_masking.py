"""Masking buyers' personal data in report text, and keeping flag highlights on the right characters."""
from __future__ import annotations

import random

import polars as pl
import pytest

from qc_pipeline.reports.masking import (
    highlight, highlight_columns, mask_column, mask_expr, mask_nick, mask_text, segments,
)


@pytest.mark.parametrize("text, masked", [
    ("我的手机13812345678", "我的手机138****5678"),
    ("电话 138-1234-5678 谢谢", "电话 138****5678 谢谢"),
    ("电话 138 1234 5678", "电话 138****5678"),
    ("+86 13912345678", "+86 139****5678"),
    ("座机0571-88886666", "座机0571-****6666"),
])
def test_phone_numbers(text, masked):
    assert mask_text(text) == masked


def test_id_numbers_are_not_taken_for_phone_numbers():
    assert mask_text("身份证110101199003071234号") == "身份证110***********1234号"
    assert mask_text("身份证11010119900307123X") == "身份证110***********123X"


def test_order_numbers_stay():
    # Taobao order numbers are long digit runs; they identify an order, not a person, and QC needs them.
    assert mask_text("订单号3456789012345678901") == "订单号3456789012345678901"
    assert mask_text("单号 260123456789012345") == "单号 260123456789012345"


def test_email_addresses():
    assert mask_text("邮箱 zhangsan@qq.com 发我") == "邮箱 z***@qq.com 发我"
    assert mask_text("mail: a.b+c@example.com.cn") == "mail: a***@example.com.cn"


@pytest.mark.parametrize("text, masked", [
    ("地址：浙江省杭州市西湖区文三路100号5幢301室，麻烦改一下", "地址：浙江省杭州市西湖区****，麻烦改一下"),
    ("寄到上海市浦东新区世纪大道88号", "寄到上海市浦东新区****"),
    ("我住在幸福小区3栋2单元501，明天发货吗", "我住在****，明天发货吗"),
    ("收货地址改成北京市朝阳区建国路88号SOHO现代城5号楼1203", "收货地址改成北京市朝阳区****"),
    ("杭州市滨江区江南大道3888号", "杭州市滨江区****"),
])
def test_addresses_keep_the_district_only(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize("text", ["最好的面料，亲", "本店最便宜的在路上", "路上3号到", "M码偏大吗", "亲，3号发货"])
def test_ordinary_chat_is_untouched(text):
    assert mask_text(text) == text


def test_nicks():
    assert mask_nick("tb_88123") == "t***3"
    assert mask_nick("快乐小羊") == "快***羊"
    assert mask_nick("z") == "z***"
    assert mask_nick("赵六") == "赵***"  # both characters would be the whole name
    assert mask_nick("") == "" and mask_nick(None) == ""
    assert mask_text("tb_88123 亲在的", nicks=["tb_88123"]) == "t***3 亲在的"


def test_highlight_span_survives_masking_around_it():
    text = "我的手机13812345678，这是最好的"
    start = text.index("最好")
    pieces = segments(text, (start, start + 2), mask=True)
    assert pieces == [("我的手机138****5678，这是", False), ("最好", True), ("的", False)]


def test_highlight_covering_personal_data_is_masked_inside():
    text = "+1 亲加我微信13812345678发你链接"
    matched = "加我微信13812345678"
    start = text.index(matched)
    pieces = segments(text, (start, start + len(matched)), mask=True)
    assert pieces == [("+1 亲", False), ("加我微信138****5678", True), ("发你链接", False)]


def test_highlight_boundary_inside_personal_data_widens_to_the_masked_value():
    text = "微信13812345678哦"
    pieces = segments(text, (0, 5), mask=True)  # the hit ends inside the number
    assert pieces == [("微信138****5678", True), ("哦", False)]
    assert "".join(p for p, _ in pieces) == mask_text(text)


def test_unmasked_segments_are_the_original_text():
    text = "加我微信13812345678"
    assert segments(text, (0, 4), mask=False) == [("加我微信", True), ("13812345678", False)]
    assert segments(text, None, mask=True) == [("加我微信138****5678", False)]


# The polars expressions and the Python detectors are two readings of one declaration; they must agree on
# every text, including values that run into each other, which is where regex boundaries differ.
_ATOMS = ["13812345678", "138-1234-5678", "+86 13912345678", "8613912345678", "0571-88886666", "(021)12345678",
          "(021) 1234-5678", "110101199003071234", "11010119900307123X", "zhangsan@qq.com", "a.b+c@example.com.cn",
          "3456789012345678901", "浙江省杭州市西湖区文三路100号5幢301室", "幸福小区3栋2单元501", "上海市浦东新区世纪大道88号",
          "路上3号到", "tb_88123", "快乐小羊", "亲", "，", ",", " ", "-", "+", "1", "0", "x", "最好", "号", "栋", "A", "@",
          ".", "\n", "的", "*", "$1", "${x}", "\\"]
_NICKS = ["tb_88123", "快乐小羊", "亲", "x", "", None, "1", "*", "$1"]


def _corpus(seed: int, n: int) -> pl.DataFrame:
    rng = random.Random(seed)
    return pl.DataFrame({
        "text": ["".join(rng.choice(_ATOMS) for _ in range(rng.randint(0, 8))) for _ in range(n)] + [None],
        "nick": [rng.choice(_NICKS) for _ in range(n)] + [None],
    })


def test_column_masking_equals_the_python_detectors():
    frame = _corpus(7, 4000)
    by_column = mask_column(frame, "text", nick="nick", alias="masked")["masked"].to_list()
    by_expr = frame.select(mask_expr(pl.col("text"), pl.col("nick")))["text"].to_list()
    by_python = [mask_text(t, [n] if n else []) for t, n in frame.select("text", "nick").iter_rows()]
    assert by_column == by_python
    assert by_expr == by_python
    assert sum(a != (t or "") for a, t in zip(by_python, frame["text"])) > 1000  # the corpus does hold data


def test_column_masking_of_sample_chat():
    from qc_pipeline.sample import texts

    lines = [q for topic in texts.PRESALE_TOPICS + texts.AFTERSALE_TOPICS for q, _ in topic.pairs]
    lines += ["我的手机13912345678，地址浙江省杭州市西湖区文三路100号5幢301室，麻烦尽快发", "tb_88123 亲在的"]
    frame = pl.DataFrame({"text": lines, "nick": ["tb_88123"] * len(lines)})
    masked = mask_column(frame, "text", nick="nick")["text"].to_list()
    assert masked == [mask_text(t, ["tb_88123"]) for t in lines]


def test_a_value_running_into_another_is_masked_with_it():
    # An address directly followed by a phone number: both are masked (the address is not left whole).
    assert mask_text("浙江省杭州市西湖区文三路100号5幢301室13812345678") == "浙江省杭州市西湖区********5678"
    assert mask_text("13812345678,13912345678") == "138****5678,139****5678"


def test_highlight_columns_equal_highlight():
    rng = random.Random(3)
    frame = _corpus(11, 2000).with_columns(pl.col("text").fill_null(""))
    starts, ends = [], []
    for t in frame["text"]:
        a, b = sorted((rng.randint(0, len(t)), rng.randint(0, len(t))))
        starts.append(a)
        ends.append(b)
    frame = frame.with_columns(start=pl.Series(starts), end=pl.Series(ends))
    out = highlight_columns(frame, "text", "start", "end", nick="nick")
    for row in out.iter_rows(named=True):
        pieces = highlight(row["text"], [(row["start"], row["end"])], True, [row["nick"]] if row["nick"] else [])
        lit = [i for i, (_, hl) in enumerate(pieces) if hl]
        i = lit[0] if lit else len(pieces)
        expected = ("".join(p for p, _ in pieces[:i]), pieces[i][0] if lit else "",
                    "".join(p for p, _ in pieces[i + 1:]))
        assert (row["qc_before"], row["qc_inside"], row["qc_after"]) == expected, row


def test_highlight_with_several_spans():
    text = "最好的，加我微信13812345678"
    pieces = highlight(text, [(0, 2), (4, 10)], mask=True)
    assert pieces == [("最好", True), ("的，", False), ("加我微信138****5678", True)]


@pytest.mark.parametrize("text, masked", [
    ("手机１３８１２３４５６７８", "手机１３８****５６７８"),
    ("电话138.1234.5678", "电话138****5678"),
    ("电话138  1234  5678", "电话138****5678"),
    ("电话138－1234－5678", "电话138****5678"),
    ("电话138—1234—5678", "电话138****5678"),
    ("号码013812345678", "号码0138****5678"),
    ("+86 138 1234 5678", "+86 138****5678"),
    ("身份证110101900307123", "身份证110*********123"),
    ("身份证 110101 19900307 1234", "身份证 110***********1234"),
    ("身份证１１０１０１１９９００３０７１２３４", "身份证１１０***********１２３４"),
    ("座机0571 88886666", "座机0571 ****6666"),
    ("（021）12345678", "（021）****5678"),
    ("邮箱zhangsan＠qq.com", "邮箱z***@qq.com"),
    ("加我微信 wxid_abc123 吧", "加我微信 **** 吧"),
    ("vx：abcdef12", "vx：****"),
    ("VX abcdef12", "VX ****"),
    ("QQ12345678", "QQ****"),
    ("qq号: 87654321", "qq号: ****"),
    ("6222 0212 3456 7890", "6222 **** **** ****"),
    ("6217 0012 3456 7890 123", "6217 **** **** ****"),
    ("卡号6228480012345678901", "卡号6228************"),
])
def test_common_written_forms(text, masked):
    assert mask_text(text) == masked
    # The column masker reads the same rules: the same text comes out.
    assert mask_column(pl.DataFrame({"t": [text]}), "t")["t"][0] == masked


@pytest.mark.parametrize("text", [
    "订单号4567890123456789012", "订单号6212345678901234567", "微信支付可以吗", "QQ音乐会员", "尺码 M 165/88A",
])
def test_look_alikes_stay(text):
    # Order numbers (any first digit) without a card word or groups of four, and the words alone.
    assert mask_text(text) == text
