"""Topic mining on buyers' questions whose topics are planted."""
from __future__ import annotations

import random
from collections import Counter

import pytest
from sklearn.metrics import adjusted_rand_score

from qc_pipeline.errors import UserError
from qc_pipeline.topics import cluster_questions, mine_topics, write_topics
from qc_pipeline.topics.phrases import merge_wordings, normalise
from tests.case_fixtures import A, B, S, build_warehouse

OPENERS = ["", "", "", "亲，", "你好，", "在吗？", "您好 ", "老板，", "请问", "亲亲 ", "问下，", "打扰一下，"]
ENDINGS = ["", "", "？", "?", "呢", "啊", "。", "～", "？？", "呀"]
JOINS = ["，", " ", "", "？", "。", ","]
FILL = {
    "h": lambda r: str(r.randint(150, 190)), "w": lambda r: str(r.randint(85, 200)),
    "s": lambda r: r.choice(["S", "M", "L", "XL", "XXL", "38", "40"]),
    "c": lambda r: r.choice(["黑色", "白色", "灰色", "藏青", "卡其色", "红色"]),
    "city": lambda r: r.choice(["杭州", "北京", "成都", "广州", "哈尔滨", "乌鲁木齐", "上海"]),
    "n": lambda r: r.choice(["两", "三", "几"]),
}
# A buyer asks about one or more aspects of a topic, each in one of several wordings. Wordings of one
# topic need not share a word (身高 and 尺码); they are tied by the questions that combine them.
TOPICS = {
    "size": [
        ["身高{h}体重{w}斤", "{h}cm {w}斤", "我{w}斤", "腰围{w}", "平时穿{s}码", "{h}的个子"],
        ["穿什么码", "选哪个尺码", "拍多大的码", "穿几码合适", "尺码怎么选", "帮我推荐一下尺码", "码数怎么选"],
        ["会不会偏小", "偏大吗", "尺码标准吗", "码偏小吗", "紧不紧", "{s}码合身吗"],
    ],
    "stock": [
        ["{c}还有货吗", "{s}码有库存吗", "有现货吗", "{c}{s}码还能买到吗"],
        ["是不是缺货了", "断货了吗", "{c}没货了吗", "卖完了吗", "显示无货"],
        ["什么时候补货", "还会补货吗", "多久到货", "是现货还是预售", "预售要等多久才有货"],
    ],
    "delivery": [
        ["今天能发货吗", "什么时候发货", "下午拍今天发出吗", "多久能寄出", "几点前下单当天发"],
        ["发什么快递", "能发顺丰吗", "默认中通还是圆通", "可以指定快递吗", "京东快递能发吗"],
        ["几天能到{city}", "寄到{city}要几天", "物流怎么不动了", "快递到哪了", "物流几天没更新了"],
    ],
    "discount": [
        ["有优惠券吗", "店铺券怎么领", "领了券怎么没减", "优惠券用不了"],
        ["能便宜点吗", "再便宜一点就拍了", "老客户有折扣吗", "买{n}件能打折吗", "会员价多少"],
        ["满减活动还有吗", "双十一有活动吗", "有赠品吗", "店庆打几折", "现在有什么优惠"],
    ],
    "refund": [
        ["收到破损了", "有质量问题", "发错货了", "色差太大", "开线了", "不合适"],
        ["怎么申请退款", "想退货", "能换货吗", "支持七天无理由退换吗", "给我退款吧"],
        ["退款什么时候到账", "退货运费谁出", "我已经寄回了退款还没处理", "运费险怎么用", "退款进度怎么样了"],
    ],
    "material": [
        ["是什么面料", "什么材质的", "纯棉的吗", "含棉量多少", "羊毛成分多少"],
        ["会起球吗", "洗了会缩水吗", "会掉色吗", "透气吗", "冬天穿保暖吗"],
        ["能机洗吗", "怎么洗", "可以烘干吗", "需要干洗吗"],
    ],
}


def _fill(text: str, rng: random.Random) -> str:
    for key, make in FILL.items():
        while "{" + key + "}" in text:
            text = text.replace("{" + key + "}", make(rng), 1)
    return text


def planted_questions(per_topic: int, seed: int, topics: list[str] | None = None) -> tuple[list[str], list[int]]:
    """Questions with their planted topic, shuffled."""
    rng = random.Random(seed)
    names = topics or list(TOPICS)
    texts, labels = [], []
    for label, name in enumerate(names):
        pools = TOPICS[name]
        for _ in range(per_topic):
            chosen = sorted(rng.sample(range(len(pools)), rng.choice([1, 1, 2, 2, 3])))
            parts = [_fill(rng.choice(pools[i]), rng) for i in chosen]
            body = parts[0] + "".join(rng.choice(JOINS) + p for p in parts[1:])
            texts.append(rng.choice(OPENERS) + body + rng.choice(ENDINGS))
            labels.append(label)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [labels[i] for i in order]


@pytest.mark.parametrize("data_seed", [1, 2, 3])
def test_planted_topics_are_recovered(data_seed):
    texts, truth = planted_questions(100, data_seed)
    labels, k, terms = cluster_questions(texts, seed=0)
    assert adjusted_rand_score(truth, labels) >= 0.8
    assert abs(k - len(TOPICS)) <= 1 and len(terms) == k and all(terms)


def test_same_seed_same_labels_and_names():
    texts, _ = planted_questions(60, 5)
    assert cluster_questions(texts, seed=0) == cluster_questions(texts, seed=0)
    assert cluster_questions(texts, seed=3) == cluster_questions(list(texts), seed=3)


def test_topics_are_named_by_their_words():
    texts, truth = planted_questions(80, 1)
    labels, _, terms = cluster_questions(texts, seed=0)
    majority = {t: Counter(l for l, p in zip(labels, truth) if p == t).most_common(1)[0][0] for t in set(truth)}
    names = list(TOPICS)
    assert {"尺码", "码"} & set(terms[majority[names.index("size")]])
    assert {"退款", "退货", "退"} & set(terms[majority[names.index("refund")]])


def test_greetings_join_no_topic_and_k_can_be_given():
    texts, _ = planted_questions(30, 2, ["size", "delivery", "discount"])
    labels, k, _ = cluster_questions(["在吗", "你好 ？"] + texts, seed=0, k=3)
    assert labels[:2] == [-1, -1] and k == 3 and set(labels[2:]) == {0, 1, 2}
    assert cluster_questions([], seed=0) == ([], 0, [])
    assert cluster_questions(["有优惠券吗"], seed=0)[1] == 1


def test_near_duplicate_answers_merge():
    heads = merge_wordings(Counter({
        normalise("亲，今天16点前拍下当天发货哦"): 5, normalise("亲 今天17:00前拍下，当天发货哦～"): 2,
        normalise("默认发中通快递，需要顺丰可以补差价"): 3,
    }))
    assert len(set(heads.values())) == 2
    assert heads[normalise("亲 今天17:00前拍下，当天发货哦～")] == normalise("亲，今天16点前拍下当天发货哦")


# Planted warehouse: per topic, (agent, first wait in s, paying sessions out of 12, flagged sessions, answers).
PLANTED = {
    "size": (A, 10, 9, 0, ["亲，按平时的尺码拍就可以，详情页有尺码表哦", "亲 按平时的尺码拍就可以~详情页有尺码表哦"]),
    "delivery": (B, 20, 0, 3, ["亲，今天16点前拍下当天发货哦", "亲 今天17:00前拍下，当天发货哦～"]),
    "discount": (A, 40, 6, 0, ["亲，店铺首页可以领满299减30的券哦", "亲，店铺首页可以领满199减20的券哦"]),
    "refund": (S, 60, 0, 0, ["亲，在订单里点申请退款，我们会尽快处理", "亲 在订单里点申请退款，我们会尽快处理的"]),
}
PER_TOPIC = 12


@pytest.fixture(scope="module")
def planted_warehouse(tmp_path_factory):
    """A warehouse of one-question sessions; returns it with each buyer's planted topic and facts."""
    import datetime as dt

    texts, truth = planted_questions(PER_TOPIC, 11, list(PLANTED))
    conversations, orders, flags, planted = {}, [], [], {}
    counters = Counter()
    start = dt.datetime(2026, 11, 9, 9, 0, 0)
    for i, (text, label) in enumerate(zip(texts, truth)):
        name = list(PLANTED)[label]
        agent, wait, paying, flagged, answers = PLANTED[name]
        n = counters[name]
        counters[name] += 1
        buyer = f"tb_{name}_{n:02d}"
        t0 = start + dt.timedelta(days=i % 10, minutes=37 * i)
        at = lambda s: (t0 + dt.timedelta(seconds=s)).strftime("%Y-%m-%d %H:%M:%S")  # noqa: E731
        conversations[buyer] = [
            ("buyer", at(0), agent, text + (" <b>急</b>" if i == 0 else "")),
            ("agent", at(wait), agent, "亲，在的"),
            ("agent", at(wait + 5), agent, answers[n % 2]),
        ]
        planted[buyer] = {"topic": name, "wait": wait, "paid": n < paying, "flagged": n < flagged,
                          "presale": agent != S}
        if n < paying:
            orders.append((f"o_{buyer}", buyer, at(600), at(660), "100.00", "0"))
        if n < flagged:
            flags.append((buyer, 2, "PROMISE-01", "delivery_promise", "major", "当天发货"))
    con = build_warehouse(tmp_path_factory.mktemp("topics") / "qc.duckdb", conversations, orders, flags)
    yield con, planted
    con.close()


def test_mine_topics_figures_on_a_planted_warehouse(planted_warehouse):
    con, planted = planted_warehouse
    result = mine_topics(con, weeks=4, end_week="2026-W47", seed=0)
    # four weeks asked for, two held: the period names only the weeks there is something of
    assert result.weeks == ["2026-W46", "2026-W47"]
    assert result.questions == len(planted) and result.skipped == 0
    buyers = dict(con.execute("SELECT session_id, buyer FROM sessions").fetchall())
    found = {buyers[s]: t for s, t in zip(result.assignments["session_id"], result.assignments["topic_id"])}
    assert adjusted_rand_score([planted[b]["topic"] for b in found], list(found.values())) >= 0.8
    assert sum(t.sessions for t in result.topics) == result.questions
    for t in result.topics:
        members = [planted[b] for b, topic in found.items() if topic == t.topic_id]
        main = Counter(m["topic"] for m in members).most_common(1)[0][0]
        assert t.sessions == len(members) and t.share == pytest.approx(len(members) / len(planted))
        waits = sorted(m["wait"] for m in members)
        assert t.median_first_response_s == pytest.approx((waits[(len(waits) - 1) // 2] + waits[len(waits) // 2]) / 2)
        assert t.flags == sum(m["flagged"] for m in members)
        assert t.flag_rate == pytest.approx(t.flags / len(members))
        presale = [m for m in members if m["presale"]]
        assert t.buyer_days == len(presale)
        if presale:
            assert t.conversion_rate == pytest.approx(sum(m["paid"] for m in presale) / len(presale))
        else:  # after-sale only: no presale inquiry to convert
            assert t.conversion_rate is None
        # The main topic's answer, its two wordings merged, used in each of its sessions; the greeting
        # every topic gets is no candidate.
        answers = PLANTED[main][4]
        own = [m for m in members if m["topic"] == main]
        best = t.quick_phrases[0]
        assert best.text in answers and best.sessions == len(own) and best.orders == sum(m["paid"] for m in own)
        assert all("在的" not in p.text for p in t.quick_phrases)
        # Wordings differing in punctuation or digits only are one wording; the rest are near-duplicates.
        assert best.variants == len({normalise(a) for a in answers})
        assert 1 <= len(t.examples) <= 3


def test_mining_is_deterministic_and_rejects_unknown_weeks(planted_warehouse):
    con, _ = planted_warehouse
    a = mine_topics(con, weeks=2, seed=0)
    b = mine_topics(con, weeks=2, seed=0)
    assert a.end_week == "2026-W47" and a.weeks == ["2026-W46", "2026-W47"]
    assert a.assignments.equals(b.assignments) and [t.name for t in a.topics] == [t.name for t in b.topics]
    with pytest.raises(UserError, match="2026-W30"):
        mine_topics(con, end_week="2026-W30")
    with pytest.raises(UserError, match="weeks"):
        mine_topics(con, weeks=0)


def test_write_topics_escapes_and_masks(planted_warehouse, tmp_path):
    con, _ = planted_warehouse
    result = mine_topics(con, weeks=4, seed=0)
    paths = write_topics(result, tmp_path / "topics")
    assert [p.name for p in paths] == ["topics.md", "topics.html"]
    html = (tmp_path / "topics" / "topics.html").read_text(encoding="utf-8")
    md = (tmp_path / "topics" / "topics.md").read_text(encoding="utf-8")
    assert "<b>急</b>" not in html and "tb_" not in html and "tb_" not in md
    assert f'data-k="{result.k}"' in html and all(t.name in html for t in result.topics)
    for t in result.topics:
        assert f"| {t.sessions} |" in md
    english = write_topics(result, tmp_path / "en", lang="en")
    assert "Quick-phrase candidates" in english[1].read_text(encoding="utf-8")


def test_a_window_over_the_cap_clusters_a_seeded_sample(planted_warehouse, tmp_path):
    con, planted = planted_warehouse
    whole = mine_topics(con, weeks=4, seed=0)
    assert whole.sampled_from is None
    # The planted window is small (a dozen questions a topic): leave out a few, not half.
    cap = len(planted) - 8
    a = mine_topics(con, weeks=4, seed=0, max_questions=cap)
    b = mine_topics(con, weeks=4, seed=0, max_questions=cap)
    assert a.sampled_from == len(planted) and a.questions + a.skipped == cap
    assert a.assignments.equals(b.assignments)
    assert sum(t.sessions for t in a.topics) == a.questions
    sampled = set(a.assignments["session_id"].to_list())
    assert sampled < set(whole.assignments["session_id"].to_list())
    # A session outside the sample gets the topic its question is nearest: planted topics stay apart.
    buyers = dict(con.execute("SELECT session_id, buyer FROM sessions").fetchall())
    outside = [s for s in whole.assignments["session_id"].to_list() if s not in sampled]
    given = a.topic_of(outside)
    assert set(given) == set(outside) and set(given.values()) <= {t.name for t in a.topics}
    sample_topic = dict(zip(a.assignments["session_id"], a.assignments["topic"]))
    both = {**sample_topic, **given}
    assert adjusted_rand_score([planted[buyers[s]]["topic"] for s in both], list(both.values())) >= 0.8
    md = write_topics(a, tmp_path / "t")[0].read_text(encoding="utf-8")
    assert f"{len(planted)}" in md and f"{cap}" in md
