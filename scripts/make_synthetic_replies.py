"""Write the synthetic agent-reply sets that measure the rules' recall and precision per category.

    python scripts/make_synthetic_replies.py        # writes tests/data/rules_synthetic/{dev,heldout}.jsonl

Each template marks the violating words with ⟦ ⟧; templates without a mark are replies a QC specialist
would not flag (the exemption classes of docs/rules.md's labelling rubric). Every template belongs to
one part: `dev` phrasings may be used while writing rules; `heldout` phrasings are a different set of
wordings of the same classes and were measured once, before any rule was changed for them. Openers,
closers and slots vary each reply, so a part holds several replies per template. A template
`BUYER‖REPLY` also gives the buyer's message the reply answers (the row's `context`), for the classes
that depend on it: a bare 不支持哦 refuses a request (能改地址吗？) but answers a question of fact
(支持无线充电吗？). Seeded: the files are always the same.
"""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "rules_synthetic"
SEED = 12
PER_TEMPLATE = 3

SLOTS = {
    "product": ["连衣裙", "羽绒服", "卫衣", "牛仔裤", "运动鞋", "保温杯", "面霜", "手机壳", "四件套", "双肩包"],
    "colour": ["黑色", "白色", "米白", "卡其色", "雾霾蓝", "藏青", "浅灰"],
    "size": ["S码", "M码", "L码", "XL", "XXL", "38码", "39码"],
    "n": ["2", "3", "两", "三"],
    "cut": ["5", "10", "20", "30"],
    "threshold": ["99", "199", "299"],
    "city": ["杭州", "广州", "上海", "武汉", "成都"],
    "qq": ["283746512", "97865432", "1456723890"],
    "mail": ["kefu_lili@163.com", "abc123@qq.com", "xiaoyu.shop@126.com"],
    "phone": ["13812345678", "15967781234", "18655502468"],
}
OPENERS = ["", "", "亲，", "亲亲，", "您好，", "好的，", "嗯，"]
CLOSERS = ["", "", "哦", "呢", "~", "。", "！"]

# category -> {part: [templates]}; "none" holds replies with nothing to flag.
TEMPLATES: dict[str, dict[str, list[str]]] = {
    "extreme_word": {
        "dev": [
            "这款{product}是我们家卖得⟦最好⟧的", "这个价格已经是⟦全网最低⟧了", "{product}用的是⟦顶级⟧面料",
            "这是⟦最受欢迎⟧的颜色", "⟦100%⟧正品，放心拍", "我们家{product}⟦绝对⟧不掉色", "这款{product}⟦销量第一⟧",
            "我们是⟦唯一⟧一家做定制的", "{product}质量是⟦最好⟧的，没得挑", "这款{product}是⟦最畅销⟧的",
        ],
        "heldout": [
            "我们家{product}做工是⟦最精细⟧的", "{colour}这个颜色⟦最百搭⟧了", "这款{product}性价比⟦最高⟧",
            "全店就这款⟦最便宜⟧", "这是⟦极品⟧好货", "品质⟦绝对⟧有保障", "我们是⟦行业第一⟧品牌",
            "我们是⟦首家⟧推出这种工艺的店", "这款{product}⟦永不⟧起球", "我们的售后服务是⟦最专业⟧的",
        ],
    },
    "arguing": {
        "dev": [
            "⟦那是您自己选错了⟧", "⟦是您理解错了⟧，活动是满{threshold}减{cut}", "⟦您到底能不能明白⟧",
            "⟦我都说了多少遍了⟧，没有{colour}", "⟦不是我们的问题⟧，您找快递", "⟦您自己不看详情页⟧怪谁", "⟦爱买不买⟧",
            "⟦那你去投诉吧⟧", "⟦跟我们没关系⟧", "⟦您买之前怎么不问清楚⟧", "⟦能不能别问了⟧", "⟦说了没有就是没有⟧",
        ],
        "heldout": [
            "⟦是您自己拍错了尺码⟧", "⟦您是不是没看清楚⟧", "⟦这明明是您自己弄坏的⟧", "⟦您到底想怎么样⟧",
            "⟦我刚才不是已经回答过了吗⟧", "⟦您要投诉就去投诉⟧", "⟦这个不归我们管⟧", "⟦您怎么不早点说⟧",
            "⟦同样的问题您都问了三遍了⟧", "⟦您爱怎么评价就怎么评价⟧", "⟦那您自己看着办吧⟧", "⟦这是您自己的原因⟧",
        ],
    },
    "abuse": {
        "dev": ["⟦神经病⟧，天天问", "⟦你有病吧⟧", "⟦穷就别买⟧", "⟦呵呵⟧，您开心就好", "⟦你懂什么⟧"],
        "heldout": ["⟦脑子进水了吧⟧", "⟦没钱就别来问⟧", "⟦你是不是傻⟧", "⟦事儿真多⟧", "⟦真是奇葩⟧"],
    },
    "hedging": {
        "dev": [
            "⟦应该是纯棉的吧⟧", "⟦可能⟧有货，您拍拍看", "⟦好像⟧不能退", "⟦估计⟧是仓库发错了", "这款⟦也许⟧能便宜点",
            "⟦大概⟧是{colour}吧", "我也⟦不太清楚⟧是什么材质",
        ],
        "heldout": [
            "这个⟦应该能机洗吧⟧", "⟦可能⟧是仓库漏发了", "⟦好像⟧没有{size}了", "⟦估计⟧明天能发", "赠品⟦也许⟧没有了",
            "⟦或许⟧可以退", "我也⟦不确定⟧有没有优惠",
        ],
    },
    "flat_refusal": {
        "dev": ["⟦不行⟧", "⟦无法修改⟧的哦", "能改地址吗？‖⟦不支持⟧哦", "⟦改不了⟧", "⟦没办法⟧，规定就是这样", "⟦不能退⟧"],
        "heldout": ["⟦不可以⟧的亲", "这个⟦退不了⟧", "⟦不能改⟧了", "⟦做不到⟧", "⟦没法改⟧", "⟦不换⟧的"],
    },
    "delivery_promise": {
        "dev": ["⟦保证明天到⟧", "今天下单⟦肯定今天发⟧", "⟦今天能到⟧", "⟦明天就到了⟧", "⟦三天内一定到⟧", "⟦后天肯定能收到⟧"],
        "heldout": [
            "⟦明天一定给您送到⟧", "⟦包您周五前收到⟧", "⟦后天就能到⟧", "⟦今天晚上就能收到⟧", "⟦绝对明天发货⟧",
            "⟦周末之前肯定到⟧",
        ],
    },
    "off_platform": {
        "dev": [
            "⟦加我微信⟧，发您实拍图", "我⟦QQ {qq}⟧，您加一下", "照片发我邮箱⟦{mail}⟧", "有问题直接⟦在微信上问⟧我",
            "⟦支付宝直接转给我⟧就行", "打我手机⟦{phone}⟧",
        ],
        "heldout": [
            "⟦加我v⟧，给您优惠", "⟦我的qq是{qq}⟧", "照片发到⟦{mail}⟧就行", "⟦微信上发给我⟧", "⟦扫我的码⟧付款",
            "您⟦加我好友⟧吧",
        ],
    },
    "slang": {
        "dev": ["这款⟦yyds⟧", "⟦老铁⟧放心拍", "这个颜色⟦绝绝子⟧", "⟦集美⟧们看过来", "⟦666⟧", "⟦卧槽⟧，又卖完了"],
        "heldout": ["⟦宝子⟧们冲", "这个颜色⟦绝了⟧", "⟦真香⟧", "⟦awsl⟧，太可爱了", "⟦栓Q⟧", "⟦咱就是说⟧这个质量没话说"],
    },
    "none": {
        "dev": [
            # extreme_word look-alikes
            "您的满意是我们最大的动力", "我们会尽最大努力帮您处理", "最多帮您再延长两天收货", "最快后天到",
            "每人最多限购{n}件", "第一车队今天下午来收件", "这款是全网通版本的", "最近发货有点慢，请您谅解",
            "最新的物流显示已到{city}", "您最好先量一下腰围", "最大的尺码是XXL", "{product}是100%纯棉的",
            "最重要的是尺码合适",
            # arguing look-alikes
            "这边看到订单拍的是{size}，需要帮您换吗", "可能是我没说清楚，不好意思", "这个是快递那边的延误，我帮您催一下",
            "您可以在订单页申请平台介入", "您说的是哪一件呢？", "活动是满{threshold}才减，您再凑一件就可以了",
            # hedging look-alikes
            "快递员可能下班了", "节假日可能会慢一点", "大概需要3-5天", "预计2-3天到", "可能会有轻微色差",
            "您脚背高的话可能要拍大一码", "这个我不太确定，我帮您问一下仓库",
            # refusal look-alikes
            "订单已经发货了，地址无法修改", "抱歉，这个无法修改", "不支持哦，您可以拒收后重新下单", "不行的话您再联系我",
            "定制商品不支持七天无理由", "这个材质不可以机洗",
            # a bare 不支持 answering a question of fact, or answering nobody knows what
            "支持无线充电吗？‖不支持哦", "不支持哦",
            # delivery look-alikes
            "预计明天到", "一般2-3天到", "今天下单今天发", "物流显示今天派送", "不能保证明天到",
            # off-platform look-alikes
            "请勿加微信私下转账", "我们不会让您扫码付款", "支持花呗和微信支付", "您有问题随时旺旺联系",
            # slang look-alikes
            "亲爱滴，有什么可以帮您", "亲亲，好哒", "亲爱哒，已经发货了", "宝宝，收到了吗", "么么哒，祝您生活愉快",
            "满666减66",
        ],
        "heldout": [
            "大家的认可是我们最大的鼓励", "我们一定以最快的速度给您处理", "最多可以帮您申请{cut}元补偿", "最迟周五给您发出",
            "最慢一周左右到", "这台是全网通的，移动联通电信都能用", "最低消费满{threshold}包邮", "页面最下方有尺码表",
            "最好用温水手洗", "唯一的区别就是颜色不同", "含棉量100%的", "百分百理解您的心情", "最关键的是您收到货先检查",
            "最后一件{colour}的了", "您最喜欢哪个颜色呢",
            "不好意思，是我们这边没解释清楚", "详情页有尺码表，您可以参考一下", "您自己方便的时候签收就行",
            "您自己选喜欢的颜色就好", "我再跟您说明一下活动规则", "您先别着急，我帮您查一下",
            "偏远地区可能要多一两天", "平台审核可能需要一点时间", "退款大概1-3个工作日到账", "天气原因物流可能会延迟",
            "银行那边可能会有延迟", "可能存在1-2厘米误差", "大概一周左右能到",
            "已经出库了，改不了地址，您可以收到后退回", "不好意思，活动价不能再便宜了", "特价商品不支持退换",
            "如果还是不行您拍个视频给我", "超过7天了，系统无法申请", "这款不能用烘干机",
            "正常情况下后天能到", "下午4点前的订单当天发货", "快递显示已经到您那边的网点了", "已经到了，您查看一下",
            "不一定今天发", "48小时内发货",
            "收件电话是138****5678对吗", "发票会发到您下单预留的邮箱", "我们只在旺旺上为您服务", "支持支付宝付款",
            "亲爱的，这款包邮", "好滴呢亲", "滚筒洗衣机可以洗", "垃圾袋是赠品", "哈哈，好的亲",
        ],
    },
}

_MARK = re.compile(r"⟦(.*?)⟧")


def fill(template: str, rng: random.Random) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: rng.choice(SLOTS[m.group(1)]), template)


# What buyers ask that a refusal answers. Real refusals answer a request, and the rules judge a bare
# refusal by the buyer's message (see the `no-request` class), so every flat_refusal template without
# its own BUYER‖ part answers one of these, picked by the template's number (not drawn, so the replies
# themselves stay what they were).
REQUESTS = ["能改地址吗？", "可以便宜点吗", "能换个颜色吗", "可以退吗？", "能帮我取消订单吗", "能送个赠品吗"]


def replies(part: str) -> list[dict]:
    rng = random.Random(f"{SEED}:{part}")
    out = []
    for category, parts in TEMPLATES.items():
        for t, template in enumerate(parts[part]):
            seen = set()
            for _ in range(PER_TEMPLATE * 4):
                if len(seen) == PER_TEMPLATE:
                    break
                opener = rng.choice(OPENERS)
                buyer, _, reply = fill(template, rng).rpartition("‖")
                if not buyer and category == "flat_refusal":
                    buyer = REQUESTS[t % len(REQUESTS)]
                raw = opener + reply + rng.choice(CLOSERS)
                text = _MARK.sub(r"\1", raw)
                if text in seen:
                    continue
                seen.add(text)
                spans = [{"category": category, "text": m.group(1)} for m in _MARK.finditer(raw)]
                row = {
                    "id": f"{part}-{category}-{t}-{len(seen)}",
                    "text": text,
                    "categories": [category] if spans else [],
                    "spans": spans,
                    "template": _MARK.sub(r"\1", template),
                }
                if buyer:
                    row["context"] = [{"role": "buyer", "text": buyer}]
                out.append(row)
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for part in ("dev", "heldout"):
        rows = replies(part)
        with (OUT / f"{part}.jsonl").open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{OUT / part}.jsonl: {len(rows)} replies")


if __name__ == "__main__":
    main()
