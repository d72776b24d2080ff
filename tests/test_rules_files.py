"""Rule files: the shipped set, a shop's overrides and additions, broken files, the rule-set version."""
from __future__ import annotations

import textwrap

import pytest
from typer.testing import CliRunner

from qc_pipeline.errors import UserError
from qc_pipeline.rules import CATEGORIES, SEVERITIES, check_text, format_hits, format_rules, load_ruleset
from qc_pipeline.store.schema import FLAG_CATEGORIES


def rule_file(tmp_path, body: str, name: str = "shop.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def rule_ids(text, rules):
    return [h.rule_id for h in check_text(text, rules)]


def test_shipped_rules_cover_every_category_and_explain_themselves():
    rules = load_ruleset()
    assert CATEGORIES == FLAG_CATEGORIES
    assert SEVERITIES == ("critical", "major", "minor")
    assert {r.category for r in rules.rules} == set(CATEGORIES)
    ids = [r.id for r in rules.rules]
    assert len(ids) == len(set(ids)) and "AD-EXTREME" in ids and {"ML-ARGUING", "ML-ABUSE"} <= set(ids)
    for r in rules.rules:
        assert r.enabled and r.severity in SEVERITIES and r.explanation_zh and r.explanation_en and r.source
    severity = {r.category: r.severity for r in rules.rules if r.kind == "lexicon"}
    assert severity == {
        "extreme_word": "critical", "arguing": "major", "abuse": "critical", "hedging": "minor",
        "flat_refusal": "major", "delivery_promise": "major", "off_platform": "critical", "slang": "minor",
    }


def test_a_shop_file_switches_a_rule_off_and_re_weights_another(tmp_path):
    shop = rule_file(tmp_path, """
        rules:
          - id: AD-EXTREME
            enabled: false
          - id: SVC-SLANG
            severity: major
            weight: 2.5
    """)
    rules = load_ruleset([shop])
    assert rule_ids("这款是我们店销量最好的", rules) == []
    assert rules.rule("AD-EXTREME").enabled is False
    slang = check_text("老铁，冲", rules)
    assert [(h.rule_id, h.severity) for h in slang] == [("SVC-SLANG", "major")]
    assert rules.rule("SVC-SLANG").weight == 2.5
    assert "off AD-EXTREME" in format_rules(rules)
    assert rules.version != load_ruleset().version


def test_a_shop_file_adds_a_rule_with_its_own_lexicon(tmp_path):
    (tmp_path / "banned_words.txt").write_text("# our own list\n秒杀价\n清仓\n", encoding="utf-8")
    shop = rule_file(tmp_path, """
        format: 1
        rules:
          - id: SHOP-NO-FLASH-SALE
            category: extreme_word
            severity: minor
            terms: ["@banned_words", 跳楼价, 777]
            explanation_zh: 本店不使用“秒杀价”等促销用语。
            explanation_en: The shop does not use flash-sale wording.
            source: 本店客服规范 2.3
    """)
    rules = load_ruleset([shop])
    assert rule_ids("满777减77", rules) == ["SHOP-NO-FLASH-SALE"]
    hits = check_text("今天秒杀价，跳楼价清仓", rules)
    assert [(h.rule_id, h.matched) for h in hits] == [
        ("SHOP-NO-FLASH-SALE", "秒杀价"), ("SHOP-NO-FLASH-SALE", "跳楼价"), ("SHOP-NO-FLASH-SALE", "清仓")]
    assert rules.rule("SHOP-NO-FLASH-SALE").origin == str(shop)


def test_a_shop_file_extends_a_shipped_rules_exemptions(tmp_path):
    shop = rule_file(tmp_path, """
        rules:
          - id: AD-TOP-GRADE
            exempt_terms: [极品工坊]
    """)
    assert rule_ids("欢迎光临极品工坊", load_ruleset()) == ["AD-TOP-GRADE"]
    assert rule_ids("欢迎光临极品工坊", load_ruleset([shop])) == []
    assert rule_ids("这是极品好茶", load_ruleset([shop])) == ["AD-TOP-GRADE"]


def test_later_files_win(tmp_path):
    off = rule_file(tmp_path, "rules: [{id: SVC-HEDGING, enabled: false}]", "a.yaml")
    on = rule_file(tmp_path, "rules: [{id: SVC-HEDGING, enabled: true}]", "b.yaml")
    assert rule_ids("可能明天发吧", load_ruleset([off])) == []
    assert rule_ids("可能明天发吧", load_ruleset([off, on])) == ["SVC-HEDGING"]


def test_classifier_rules_switch_off_and_take_a_threshold(tmp_path):
    text = "你自己不会看吗，页面上写得很明白了"
    assert rule_ids(text, load_ruleset()) == ["ML-ARGUING"]
    off = rule_file(tmp_path, "rules: [{id: ML-ARGUING, enabled: false}]")
    assert rule_ids(text, load_ruleset([off])) == []
    strict = rule_file(tmp_path, "rules: [{id: ML-ARGUING, threshold: 0.999}]", "strict.yaml")
    assert rule_ids(text, load_ruleset([strict])) == []


@pytest.mark.parametrize(
    "body, problem",
    [
        ("rules: [{id: AD-EXTREME, enabled: maybe}]", "rule 'AD-EXTREME': 'enabled' must be true or false"),
        ("rules: [{id: AD-EXTREME, category: slang}]", "rule 'AD-EXTREME': 'category' of an existing lexicon rule"),
        ("rules: [{id: AD-EXTREME, severity: huge}]", "rule 'AD-EXTREME': severity 'huge' is not one of"),
        ("rules: [{id: ML-ABUSE, threshold: 1.5}]", "rule 'ML-ABUSE': threshold must lie between 0 and 1"),
        ("rules: [{id: NEW-1, category: slang, severity: minor, terms: [x], explanation_zh: 中,"
         " explanation_en: en, source: s, colour: red}]", "rule 'NEW-1': unknown field 'colour'"),
        ("rules: [{id: NEW-2, category: rudeness, severity: minor, terms: [x], explanation_zh: 中,"
         " explanation_en: en, source: s}]", "rule 'NEW-2': category 'rudeness' is not one of"),
        ("rules: [{id: NEW-3, category: slang, severity: minor, patterns: ['(unclosed'], triggers: [x],"
         " explanation_zh: 中, explanation_en: en, source: s}]", "rule 'NEW-3': patterns '(unclosed' is not a valid"),
        ("rules: [{id: NEW-4, category: slang, severity: minor, patterns: ['a+'],"
         " explanation_zh: 中, explanation_en: en, source: s}]", "rule 'NEW-4': 'patterns' need 'triggers'"),
        ("rules: [{id: NEW-5, category: slang, severity: minor, terms: [x], roles: [buyer],"
         " explanation_zh: 中, explanation_en: en, source: s}]", "rule 'NEW-5': role 'buyer' cannot be checked"),
        ("rules: [{id: NEW-6, category: slang, severity: minor, terms: ['@no_such_list'],"
         " explanation_zh: 中, explanation_en: en, source: s}]", "rule 'NEW-6': lexicon '@no_such_list' not found"),
        ("rules: [{id: NEW-7, category: slang, severity: minor, terms: [x]}]", "rule 'NEW-7': 'explanation_zh' is missing"),
        ("rules: [{id: NEW-8, category: slang, severity: minor, explanation_zh: 中, explanation_en: en, source: s}]",
         "rule 'NEW-8': matches nothing"),
        ("rules: [{id: NEW-9, kind: classifier, category: abuse, severity: major, training: replies.jsonl,"
         " label: rude, threshold: 0.9, explanation_zh: 中, explanation_en: en, source: s}]",
         "rule 'NEW-9': label 'rude' is not in"),
        ("rules: [{id: X, enabled: false}]", "rule 'X': no such rule to change"),
        ("rules: [{id: AD-EXTREME, enabled: false}, {id: AD-EXTREME, enabled: true}]",
         "rule 'AD-EXTREME': defined twice"),
        ("rules: [{enabled: false}]", "rule #1: missing 'id'"),
        ("rules:\n  - id: AD-EXTREME\n    enabled: [false", "not valid YAML"),
        ("rule: []", "expected a mapping with a 'rules' list"),
        ("format: 2\nrules: []", "format 2 is not supported"),
    ],
)
def test_a_broken_rule_file_names_the_file_the_rule_and_the_problem(tmp_path, body, problem):
    path = rule_file(tmp_path, body)
    with pytest.raises(UserError) as err:
        load_ruleset([path])
    assert str(err.value).startswith(str(path))
    assert problem in str(err.value)


def test_a_missing_rule_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="rule file not found"):
        load_ruleset([tmp_path / "nope.yaml"])


def test_the_version_is_a_content_hash_of_the_effective_rules(tmp_path):
    base = load_ruleset().version
    assert base == load_ruleset().version and len(base) == 12
    same = rule_file(tmp_path, "rules: [{id: AD-EXTREME, enabled: true}]", "same.yaml")
    assert load_ruleset([same]).version == base
    for n, body in enumerate([
        "rules: [{id: AD-EXTREME, enabled: false}]",
        "rules: [{id: AD-EXTREME, weight: 3}]",
        "rules: [{id: AD-EXTREME, severity: major}]",
        "rules: [{id: AD-EXTREME, terms: [秒杀价]}]",
        "rules: [{id: ML-ABUSE, threshold: 0.85}]",
    ]):
        assert load_ruleset([rule_file(tmp_path, body, f"v{n}.yaml")]).version != base, body


def test_the_version_follows_lexicon_contents_not_file_names(tmp_path):
    def shop(word):
        (tmp_path / "words.txt").write_text(word, encoding="utf-8")
        return rule_file(tmp_path, """
            rules:
              - {id: SHOP-W, category: slang, severity: minor, terms: ["@words"], explanation_zh: 中,
                 explanation_en: en, source: s}
        """)
    first = load_ruleset([shop("甲")]).version
    assert load_ruleset([shop("乙")]).version != first
    assert load_ruleset([shop("甲")]).version == first


def test_format_hits_and_format_rules_are_readable():
    rules = load_ruleset()
    text = "这款是我们店销量最好的"
    shown = format_hits(text, check_text(text, rules))
    assert "AD-EXTREME" in shown and "8–10" in shown and "销量【最好】的" in shown and "critical" in shown
    assert "0 hits" in format_hits("您好", [])
    listing = format_rules(rules)
    assert rules.version in listing and "SVC-DELIVERY-PROMISE" in listing and "广告法" in listing


def test_cli_rules_commands(tmp_path):
    from qc_pipeline.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["rules", "check", "加我微信，保证明天到"])
    assert result.exit_code == 0, result.output
    assert "PLAT-OFF-PLATFORM" in result.output and "SVC-DELIVERY-PROMISE" in result.output
    assert "0 hits" in runner.invoke(app, ["rules", "check", "加我微信", "--role", "buyer"]).output  # never flagged
    broken = rule_file(tmp_path, "rules: [{id: AD-EXTREME, enabled: maybe}]")
    result = runner.invoke(app, ["rules", "list", "--rules", str(broken)])
    assert result.exit_code == 2
