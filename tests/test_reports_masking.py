"""Masking buyers' personal data in report text, and keeping flag highlights on the right characters."""
from __future__ import annotations

import pytest

from qc_pipeline.reports.masking import mask_nick, mask_text, segments


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
