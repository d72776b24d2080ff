"""Where hits are: exact character spans, collapsing, roles, quotes, and the flag table's shape."""
from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qc_pipeline.rules import FLAG_SCHEMA, check_text, flag_messages, load_ruleset
from qc_pipeline.rules.classifier import Scorer, fit, read_examples

EVAL = Path(__file__).parent / "data" / "rules_eval.jsonl"


@pytest.fixture(scope="module")
def rules():
    return load_ruleset()


def spans(text, rules, role="agent"):
    return [(h.category, h.start, h.end, h.matched) for h in check_text(text, rules, role)]


def test_exact_offsets_are_python_character_offsets(rules):
    assert spans("这款是我们店销量最好的", rules) == [("extreme_word", 8, 10, "最好")]


@pytest.mark.parametrize(
    "text, expected",
    [
        # full-width letters fold onto the term but the span is the original characters
        ("ＹＹＤＳ绝绝子", [("slang", 0, 4, "ＹＹＤＳ"), ("slang", 4, 7, "绝绝子")]),
        ("１００％正品", [("extreme_word", 0, 4, "１００％")]),
        # an emoji is one character in Python
        ("😀😀这款是最好的", [("extreme_word", 5, 7, "最好")]),
        ("亲😊加我VX，发实拍", [("off_platform", 4, 6, "VX")]),
        # Latin runs are words: YYDS stands alone, sb inside usb does not
        ("This one is YYDS!", [("slang", 12, 16, "YYDS")]),
        ("这款是USB接口的", []),
        ("订单号16668已发货", []),
    ],
)
def test_spans_with_wide_characters_emoji_and_latin(rules, text, expected):
    assert spans(text, rules) == expected


def test_overlapping_hits_of_a_category_collapse_into_the_longest(rules):
    assert spans("这是全网最低价", rules) == [("extreme_word", 2, 7, "全网最低价")]
    assert spans("最好", rules) == [("extreme_word", 0, 2, "最好")]


def test_the_same_rule_twice_gives_two_hits_and_categories_stay_apart(rules):
    hits = check_text("最好的面料，最好的做工", rules)
    assert [(h.rule_id, h.start) for h in hits] == [("AD-EXTREME", 0), ("AD-EXTREME", 6)]
    both = check_text("卧槽，这是全网最低价了", rules)
    assert [(h.category, h.matched) for h in both] == [("slang", "卧槽"), ("extreme_word", "全网最低价")]


@pytest.mark.parametrize(
    "text",
    ["最近天气冷", "这是第一次购买吗", "最佳使用时间是晚上", "这是最后一件了", "每人最多买两件", "最低消费满99",
     "最大的尺码是XXL", "详情页最上方有尺码表", "最新的物流信息是已到达杭州", "您最好先量一下",
     "不行的话您再联系我", "这不可能", "我们拒绝了您的退款申请"],
)
def test_hard_negatives_of_the_issue(rules, text):
    assert "extreme_word" not in [c for c, *_ in spans(text, rules)]
    assert "flat_refusal" not in [c for c, *_ in spans(text, rules)] or text == "这不可能"
    assert "hedging" not in [c for c, *_ in spans(text, rules)]
    assert "slang" not in [c for c, *_ in spans(text, rules)]


def test_an_exemption_must_cover_the_whole_hit(rules):
    assert spans("最近最火的款", rules) == [("extreme_word", 2, 4, "最火")]
    assert spans("这款是我们店销量第一", rules) == [("extreme_word", 6, 10, "销量第一")]


def test_buyer_and_system_messages_are_never_flagged_auto_replies_are(rules):
    text = "加我微信，保证明天到，这是全网最低价"
    assert check_text(text, rules, role="buyer") == []
    assert check_text(text, rules, role="system") == []
    assert len(check_text(text, rules, role="auto")) == 3
    frame = pl.DataFrame({"msg_id": ["b", "s", "a", "g"], "role": ["buyer", "system", "auto", "agent"],
                          "text": [text] * 4})
    assert sorted(set(flag_messages(frame, rules)["msg_id"])) == ["a", "g"]


def test_the_buyers_words_quoted_back_are_not_flagged_the_shops_own_quotes_are(rules):
    assert spans("您说的“最低价”是指哪一款呢", rules) == []
    assert spans("您刚才说「加微信」，我们这边不支持的哦", rules) == []
    assert spans("这款被评为“年度最佳”", rules) == [("extreme_word", 8, 10, "最佳")]


def test_flag_table_schema_order_and_version(rules):
    frame = pl.DataFrame({
        "msg_id": ["m2", "m1", "m3"],
        "role": ["agent", "agent", "agent"],
        "text": ["卧槽，这是全网最低价了", "好的亲", "最好的面料，最好的做工"],
        "shop": ["x", "x", "x"],  # other columns are ignored
    })
    flags = flag_messages(frame, rules)
    assert flags.schema == pl.Schema(FLAG_SCHEMA)
    assert flags.select("msg_id", "start", "rule_id").rows() == [
        ("m2", 0, "SVC-SLANG"), ("m2", 5, "AD-EXTREME"), ("m3", 0, "AD-EXTREME"), ("m3", 6, "AD-EXTREME")]
    assert set(flags["rule_version"]) == {rules.version}
    assert flags["probability"].null_count() == len(flags)
    for msg_id, start, end, matched in flags.select("msg_id", "start", "end", "matched").rows():
        text = frame.filter(pl.col("msg_id") == msg_id)["text"][0]
        assert text[start:end] == matched


def test_empty_input_gives_an_empty_table_with_the_schema(rules):
    empty = pl.DataFrame(schema={"msg_id": pl.Utf8, "role": pl.Utf8, "text": pl.Utf8})
    assert flag_messages(empty, rules).schema == pl.Schema(FLAG_SCHEMA)
    assert flag_messages(empty, rules).height == 0
    clean = pl.DataFrame({"msg_id": [1], "role": ["agent"], "text": [None]}, schema_overrides={"text": pl.Utf8})
    assert flag_messages(clean, rules).height == 0


def test_classifier_flags_a_paraphrase_with_its_probability_over_the_whole_message(rules):
    # no lexicon rule knows this sentence; the classifier does
    text = "你自己不会看吗，页面上写得很明白了"
    frame = pl.DataFrame({"msg_id": ["p"], "role": ["agent"], "text": [text]})
    flags = flag_messages(frame, rules).filter(pl.col("rule_id").str.starts_with("ML-"))
    assert flags["rule_id"].to_list() == ["ML-ARGUING"]
    row = flags.row(0, named=True)
    assert (row["start"], row["end"], row["matched"]) == (0, len(text), text)
    assert row["probability"] >= rules.rule("ML-ARGUING").threshold


def test_classifier_adds_nothing_where_a_lexicon_rule_of_its_category_hit(rules):
    hits = check_text("你自己没看清楚，页面上都有", rules)
    assert [h.rule_id for h in hits] == ["SVC-BLAME"]


def test_classifier_leaves_polite_replies_alone(rules):
    polite = ["你好呀，有什么可以帮你的吗", "你放心，我们都会帮你处理好的", "您自己挑喜欢的颜色就好",
              "不好意思让您久等了", "您说得对，这个确实是我们的疏忽"]
    assert [h for t in polite for h in check_text(t, rules)] == []


def test_fast_scorer_gives_the_pipelines_probabilities(rules):
    examples = read_examples(rules.rule("ML-ARGUING").training)
    model = fit(examples)
    texts = [e.text for e in examples[:200]] + ["ＹＹＤＳ  两个空格\n换行", "", "😀"]
    ours = Scorer(model).predict_proba(texts)
    from qc_pipeline.rules.text import fold

    theirs = model.predict_proba([fold(t) for t in texts])
    for mine, ref in zip(ours, theirs):
        for label, p in zip(model.classes_, ref):
            assert mine[str(label)] == pytest.approx(p, abs=1e-12)


def test_flag_messages_agrees_with_check_text_on_the_eval_sentences(rules):
    texts = [json.loads(line)["text"] for line in EVAL.read_text(encoding="utf-8").splitlines()]
    frame = pl.DataFrame({"msg_id": [str(i) for i in range(len(texts))], "role": "agent", "text": texts})
    table = {(int(m), s, e, r) for m, s, e, r in flag_messages(frame, rules).select(
        "msg_id", "start", "end", "rule_id").rows()}
    direct = {(i, h.start, h.end, h.rule_id) for i, t in enumerate(texts) for h in check_text(t, rules)}
    assert table == direct


# Text built from pieces that matter to the rules, so random examples actually hit them.
PIECES = ["最", "最好", "第一", "第一次", "全网最低价", "可能", "不可能", "不行", "的话", "加我微信", "保证明天到",
          "yyds", "ＹＹＤＳ", "666", "１", "老铁", "呵呵", "你自己没看清楚", "“", "”", "您说", "😀", "，", "。",
          "A", "b", " ", "\n", "亲", "这款", "绝了", "拒", "滚", "筒", "100%", "纯棉", "啊"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=12).map("".join))
def test_hits_never_point_outside_their_message(text):
    rules = load_ruleset()
    hits = check_text(text, rules)
    for h in hits:
        assert 0 <= h.start < h.end <= len(text)
        assert text[h.start:h.end] == h.matched
    frame = pl.DataFrame({"msg_id": ["x"], "role": ["agent"], "text": [text]})
    table = flag_messages(frame, rules)
    assert table.select("start", "end", "rule_id").rows() == [(h.start, h.end, h.rule_id) for h in hits]
