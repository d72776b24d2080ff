"""Speed of the flag stage (`qc_pipeline.rules.flag_messages`) on realistic agent messages.

    python benchmarks/bench_rules.py --messages 1000000 [--hit-rate 0.03] [--unique]

Generates agent and auto-reply messages the way shops write them: quick phrases repeated all day,
personalised replies with order numbers, sizes and prices, near misses that hold 最近, 第一次 or
最多买两件, and --hit-rate of messages with a violation of some category; near misses and violations
come with varied openers, products and endings, so few of them repeat word for word. Prints messages/s of the
flag stage (after a warm-up that loads jieba and fits the classifier, timed separately), then times
the naive way -- jieba on every message, then a lexicon lookup per token -- on a subset and prints
the speed ratio. --unique makes every message text distinct, the worst case for the dedupe step.
"""
from __future__ import annotations

import argparse
import os
import random
import time

import polars as pl

from qc_pipeline.rules import check_text, flag_messages, load_ruleset

PRODUCTS = ["连衣裙", "羽绒服", "卫衣", "牛仔裤", "运动鞋", "保温杯", "面霜", "手机壳", "四件套", "双肩包", "围巾", "衬衫"]
COLOURS = ["黑色", "白色", "米白", "卡其色", "雾霾蓝", "藏青", "浅灰", "酒红"]
SIZES = ["S", "M", "L", "XL", "XXL", "160/84A", "38码", "39码"]

QUICK = [
    "亲，您好，请问有什么可以帮您的呢？", "您好，欢迎光临，有什么需要随时叫我哦", "好的亲，我这边帮您备注一下",
    "感谢您的耐心等待，祝您生活愉快", "不客气，这是我们应该做的", "亲，收到货有任何问题随时联系我们哦",
    "亲，运费险已经帮您勾选了", "您稍等，我帮您查一下", "亲，这边已经帮您催促仓库了", "好的呢，已经为您登记",
    "亲亲，活动今晚12点截止哦", "您好，我们是官方旗舰店，都是正品", "不好意思让您久等了", "嗯嗯，好的",
    "亲，赠品随机发哦", "您好，发票会随货寄出", "好的，有问题随时沟通", "亲，7天无理由退换的哦",
]
AUTO = [
    "【自动回复】您好，欢迎光临本店，客服小姐姐马上来为您服务~",
    "【自动回复】亲，现在是咨询高峰，请您稍等片刻哦",
    "【自动回复】感谢您的咨询，下单后48小时内发货",
]
PERSONAL = [
    "亲，您的订单{order}已经发货了，单号{waybill}，请注意查收",
    "{product}{colour}{size}目前有现货的，今天下单今天发",
    "{height}的身高{weight}斤的话建议您拍{size}",
    "亲，这款{product}现在活动价{price}元，比平时便宜了{cut}块",
    "好的，已经帮您把{colour}改成{colour2}了，您核对一下",
    "您好，订单{order}的退款{price}元已经原路退回",
    "亲，{product}的面料是纯棉的，穿着透气舒服",
    "亲，店铺满{threshold}减{cut}，您可以再凑一件{product}",
    "您好，{product}建议手洗，水温不要超过{temp}度",
    "这款{product}偏小一码，{height}的话建议拍{size}",
    "亲，您的包裹在{city}中转了，预计{days}天左右到",
    "您好，{product}有{colour}和{colour2}两个颜色",
]
NEAR_MISS = [
    "亲，最近{product}卖得很快，喜欢的话早点下单",
    "这是第一次购买吗？新人领券立减{cut}元",
    "每个ID最多买两件{product}哦",
    "{product}最大的尺码是XXL",
    "我这边看到最新的物流信息是已到达{city}",
    "您最好先量一下腰围再拍{product}",
    "这是最后一件{colour}的了",
    "收到货第一时间检查一下哦",
    "由于光线原因，{colour}可能会有轻微色差",
    "不行的话您再联系我，我给您换{size}",
    "第一件原价，第二件半价",
    "这款{product}是100%纯棉的",
    # the classes the second stage drops in context
    "您的满意是我们最大的动力", "最多帮您再延长{days}天收货", "最快{days}号到", "快递员可能下班了，明天再派送",
    "节假日物流可能会慢一点", "大概需要{days}-{days2}天", "已经发货了，地址没办法修改，您可以拒收后重新下单",
    "预计明天到，物流显示在{city}", "请勿加微信私下转账",
]
VIOLATIONS = [
    "这款{product}是我们店销量最好的", "亲，这是全网最低价了", "我们的{product}品质绝对是顶级的",
    "{product}销量第一，放心买", "你自己没看清楚就拍了{size}", "这不是我们的问题，找快递去",
    "我都说了多少遍了，{colour}没货", "爱买不买", "神经病，天天问", "穷就别买{product}",
    "呵呵，您开心就好", "可能明天发吧", "应该是吧，我也不清楚", "估计要等{days}天",
    "不行，{price}元不能再少了", "没办法，规定就是这样", "保证明天到", "{product}肯定今天发",
    "加我微信，{product}给您便宜{cut}块", "支付宝转账给我就行", "老铁，这个{product}yyds",
    "卧槽，{product}又卖完了", "集美们，这个{colour}绝绝子", "你到底买不买？",
    "无法修改的哦", "今天能到哦", "我的qq是{qq}", "那是您自己选错了{size}", "是您理解错了，满{threshold}才减",
]
CITIES = ["杭州", "广州", "上海", "武汉", "成都", "郑州"]
OPENERS = ["", "", "亲，", "亲亲，", "您好，", "好的，", "嗯，", "{product}的话，", "这个{product}，"]
CLOSERS = ["", "", "哦", "呢", "。", "~", "，{colour}{size}", "，订单{order}", "，{days}号前有效", "，您看看"]


def fill(template: str, rng: random.Random) -> str:
    return template.format(
        order=rng.randrange(10**17, 10**18), waybill=f"SF{rng.randrange(10**11, 10**12)}",
        product=rng.choice(PRODUCTS), colour=rng.choice(COLOURS), colour2=rng.choice(COLOURS),
        size=rng.choice(SIZES), height=rng.randrange(150, 186), weight=rng.randrange(85, 160),
        price=rng.randrange(39, 599), cut=rng.choice([5, 10, 20, 30, 50]), threshold=rng.choice([99, 199, 299]),
        temp=rng.choice([30, 40]), city=rng.choice(CITIES), days=rng.randrange(2, 6), days2=rng.randrange(6, 9),
        qq=rng.randrange(10**7, 10**10),
    )


def messages(n: int, hit_rate: float = 0.03, seed: int = 7, unique: bool = False) -> pl.DataFrame:
    """Agent (90 %) and auto-reply (10 %) messages; `hit_rate` of them carry a violation."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        u = rng.random()
        if u < hit_rate:
            text, role = fill(rng.choice(OPENERS) + rng.choice(VIOLATIONS) + rng.choice(CLOSERS), rng), "agent"
        elif u < hit_rate + 0.06:
            text, role = fill(rng.choice(OPENERS) + rng.choice(NEAR_MISS) + rng.choice(CLOSERS), rng), "agent"
        elif u < 0.16:
            text, role = rng.choice(AUTO), "auto"
        elif u < 0.50:
            text, role = rng.choice(QUICK), "agent"
        else:
            text, role = fill(rng.choice(PERSONAL), rng), "agent"
        if unique:
            text = f"{text} #{i}"
        rows.append((f"m{i}", role, text))
    return pl.DataFrame(rows, schema={"msg_id": pl.Utf8, "role": pl.Utf8, "text": pl.Utf8}, orient="row")


def naive_flags(texts: list[str], ruleset) -> tuple[int, float]:
    """jieba on every message, then each token looked up in the rule terms (no prefilter, no dedupe).
    Returns the number of term tokens and the seconds it took, the tokenizer's loading not counted."""
    import jieba

    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    terms = {t: r.id for r in ruleset.enabled if r.kind == "lexicon" for t in r.terms}
    for term in terms:
        tokenizer.add_word(term)
    start = time.perf_counter()
    hits = 0
    for text in texts:
        hits += sum(token in terms for token in tokenizer.cut(text, HMM=False))
    return hits, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--hit-rate", type=float, default=0.03)
    parser.add_argument("--naive", type=int, default=50_000, help="messages for the naive timing")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported")
    parser.add_argument("--unique", action="store_true", help="make every text distinct")
    args = parser.parse_args()

    frame = messages(args.messages, args.hit_rate, unique=args.unique)
    ruleset = load_ruleset()
    start = time.perf_counter()
    flag_messages(messages(2_000, 0.5, seed=1), ruleset)
    warm = time.perf_counter() - start

    runs, cpu = [], []
    for _ in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        flags = flag_messages(frame, ruleset)
        runs.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    best = min(runs)
    flagged = flags["msg_id"].n_unique()
    print(f"rule set {ruleset.version}; {args.messages:,} messages, {frame['text'].n_unique():,} distinct texts; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"warm-up (jieba dictionary, classifier fit): {warm:.2f} s")
    # The first run also fills the word-check cache, as the one run of a real job does.
    print(f"flag stage: first run {runs[0]:.3f} s = {args.messages / runs[0]:,.0f} messages/s; "
          f"best of {len(runs)} {best:.3f} s = {args.messages / best:,.0f} messages/s "
          f"(runs {', '.join(f'{r:.3f}' for r in runs)} s; CPU {', '.join(f'{c:.3f}' for c in cpu)} s)")
    print(f"flags: {len(flags):,} on {flagged:,} messages ({flagged / args.messages:.1%}); by category:")
    for category, n in flags.group_by("category").len().sort("category").iter_rows():
        print(f"  {category:<18}{n:>9,}")

    subset = frame.head(args.naive)
    expected = {m for m, r, t in subset.iter_rows() if check_text(t, ruleset, r)}
    assert set(flag_messages(subset, ruleset)["msg_id"]) == expected, "flag_messages disagrees with check_text"
    _, naive_s = naive_flags(subset["text"].to_list(), ruleset)
    ours = best / args.messages * len(subset)
    print(f"naive (jieba on every message): {len(subset) / naive_s:,.0f} messages/s on {len(subset):,}; "
          f"flag stage is {naive_s / ours:,.0f}x faster")


if __name__ == "__main__":
    main()
