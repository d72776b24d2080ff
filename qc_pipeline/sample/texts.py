"""What buyers ask and how agents answer, per shop and topic.

Agent and auto-reply texts stay clear of every word the compliance rules look for (see
``FORBIDDEN_IN_AGENT_TEXT``) so that the sample's flags come only from the separate violation bank, and of
the service standard's wording (look-up promises, payment reminders, dated auto-replies), which only the
hand-planted cases carry (standard_truth.check_standard refuses a plan otherwise).
Every text is one line without leading or trailing spaces and encodes in GBK, because the same
conversations are written to GBK files and to line-based text exports.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

# Words that a later stage flags in agent messages (extreme claims, hedging, flat refusals, delivery
# promises, off-platform contact, slang). The regular banks must not contain any of them.
FORBIDDEN_IN_AGENT_TEXT = (
    "最", "第一", "唯一", "顶级", "绝对", "100%", "可能", "也许", "应该", "估计", "大概", "不行", "不可能",
    "没办法", "保证", "肯定", "一定", "微信", "QQ", "qq", "支付宝", "呵呵", "yyds", "绝绝子", "老铁", "666",
    "亲爱滴", "卧槽", "集美", "尼玛",
)


@dataclass(frozen=True)
class Item:
    title: str
    price: int
    colors: tuple[str, ...]
    sizes: tuple[str, ...]


@dataclass(frozen=True)
class Topic:
    """Questions on one subject, each with the answers that fit it."""

    name: str
    pairs: tuple[tuple[str, tuple[str, ...]], ...]


CITIES = ("杭州", "上海", "北京", "成都", "广州", "武汉", "西安", "南京", "长沙", "沈阳")

APPAREL_ITEMS = (
    Item("加厚羽绒服", 399, ("黑色", "米白色", "藏青色"), ("S", "M", "L", "XL")),
    Item("羊毛大衣", 459, ("驼色", "燕麦色", "黑色"), ("S", "M", "L")),
    Item("高腰牛仔裤", 159, ("浅蓝色", "深蓝色", "黑色"), ("25", "26", "27", "28", "29")),
    Item("针织开衫", 189, ("雾霾蓝", "米白色", "卡其色"), ("S", "M", "L")),
    Item("连帽卫衣", 139, ("灰色", "黑色", "燕麦色"), ("M", "L", "XL", "XXL")),
    Item("百褶半身裙", 129, ("黑色", "卡其色"), ("S", "M", "L")),
    Item("摇粒绒外套", 169, ("米白色", "卡其色", "藏青色"), ("M", "L", "XL")),
    Item("纯棉衬衫", 119, ("白色", "浅蓝色"), ("S", "M", "L", "XL")),
    Item("阔腿西装裤", 149, ("黑色", "灰色"), ("S", "M", "L")),
    Item("冲锋衣", 329, ("黑色", "军绿色", "藏青色"), ("M", "L", "XL", "XXL")),
)

BABY_ITEMS = (
    Item("婴儿连体衣", 89, ("奶白色", "浅粉色", "浅蓝色"), ("59", "66", "73", "80")),
    Item("儿童羽绒服", 259, ("红色", "藏青色", "米色"), ("90", "100", "110", "120")),
    Item("宝宝学步鞋", 99, ("粉色", "灰色"), ("13", "14", "15")),
    Item("婴儿纯棉睡袋", 129, ("奶白色", "浅灰色"), ("73", "80", "90")),
    Item("儿童保暖内衣套装", 79, ("浅灰色", "浅粉色"), ("80", "90", "100")),
)

GREETINGS = ("在吗", "你好", "亲，在吗", "客服在吗", "你好，在吗", "hello", "请问在吗")

PRESALE_TOPICS = (
    Topic("size", (
        ("身高{h}体重{w}斤，{item}穿什么码？", (
            "亲，按您的身高体重推荐{size}码哦，这款版型偏宽松，喜欢合身一些可以拍小一码~",
            "建议拍{size}码哦，穿着会比较舒服，尺码不合适支持七天无理由退换",
        )),
        ("{h}cm，{w}斤，穿{size}码合适吗", (
            "{size}码适合您的身材，胸围留了余量，里面加毛衣也能穿",
            "可以的亲，{size}码穿着比较合身，喜欢宽松一些可以拍大一码",
        )),
        ("这款{item}尺码偏大还是偏小", (
            "这款是标准码，按平时的尺码拍就可以，详情页有尺码表，您可以对照一下哦",
        )),
        ("我平时穿{size}，这件要拍大一码吗", (
            "不用的亲，按平时的{size}码拍就可以，版型是标准的",
        )),
        ("肩宽42的话选哪个码", (
            "肩宽42建议拍{size}码，详情页有每个尺码的肩宽数据，可以对照一下",
        )),
    )),
    Topic("stock", (
        ("{color}{size}码还有货吗", (
            "亲，{color}{size}码现在有现货的，可以放心拍哦",
            "{color}{size}码还有少量库存，喜欢的话可以早点拍下哦",
        )),
        ("{item}{color}什么时候补货", (
            "{color}这一批在补货中，到货后详情页会更新库存，您可以先收藏一下哦",
        )),
        ("这个{color}还有吗", (
            "有的亲，{color}各个尺码都有库存",
        )),
    )),
    Topic("delivery", (
        ("今天下单什么时候发货", (
            "亲，仓库按付款顺序安排发货，发出后订单里会显示物流单号哦",
            "付款后仓库会尽快为您打包发出，请留意订单的物流通知哦",
        )),
        ("发什么快递", (
            "默认发中通和圆通，需要顺丰的话可以补一下运费差价哦",
        )),
        ("能发顺丰吗", (
            "可以的亲，顺丰需要补一下运费差价，拍下后联系我们备注就好",
        )),
        ("到{city}要几天", (
            "发货后物流信息会实时更新，您在订单详情里就能查看到件进度哦",
        )),
    )),
    Topic("discount", (
        ("有优惠券吗", (
            "亲，店铺首页可以领满299减30的券，下单时会自动抵扣哦",
        )),
        ("能便宜点吗", (
            "现在已经是活动价了，领券后还能再减20元，很划算的",
        )),
        ("现在有什么活动", (
            "现在参加满减活动，两件以上再享95折，您可以一起拍下",
        )),
        ("买两件有优惠吗", (
            "两件以上可以享受95折，结算页会显示优惠后的价格",
        )),
        ("新人有没有券", (
            "新会员可以领10元无门槛券，结算页会显示优惠后的价格",
        )),
    )),
    Topic("material", (
        ("{item}是什么面料的", (
            "亲，这款面料是混纺的，手感柔软，详情页有成分说明哦",
        )),
        ("会起球吗", (
            "这款做了抗起球处理，洗涤时建议翻面冷水手洗，可以减少起球哦",
        )),
        ("洗了会掉色吗", (
            "这款做了固色处理，首次洗涤有轻微浮色属于正常现象",
        )),
        ("厚不厚，冬天能穿吗", (
            "这款是加厚款，冬天穿很保暖，搭配毛衣更合适",
        )),
        ("会不会扎人", (
            "内里做了亲肤处理，贴身穿也不会扎哦",
        )),
    )),
    Topic("color", (
        ("实物有色差吗", (
            "图片都是实物拍摄，不同屏幕显示会有轻微差异哦",
        )),
        ("{color}显白吗", (
            "{color}很百搭，显得肤色干净，很多买家都选这个颜色",
        )),
        ("{color}和图片一样吗", (
            "{color}是在自然光下拍的，和实物一致，您可以放心",
        )),
    )),
)

BABY_TOPICS = (
    Topic("size", (
        ("宝宝{months}个月，{ww}斤，穿什么码", (
            "亲，按宝宝的月龄和体重推荐{size}码，留一点余量能穿得久一些哦",
        )),
        ("{size}码适合多大的宝宝", (
            "{size}码适合身高{h2}左右的宝宝，详情页有尺码表可以对照一下",
        )),
        ("宝宝有点胖，要拍大一码吗", (
            "宝宝偏胖的话建议拍大一码，穿着不会勒",
        )),
    )),
    Topic("material", (
        ("是纯棉的吗", ("是A类纯棉面料，宝宝贴身穿很舒服哦",)),
        ("新生儿能穿吗", ("可以的亲，这款是婴幼儿A类标准，新生宝宝也能穿",)),
        ("洗了会缩水吗", ("建议首次清洗用冷水，缩水率很小的",)),
    )),
    Topic("stock", (
        ("{color}{size}码还有吗", ("亲，{color}{size}码有现货，可以直接拍哦",)),
        ("这个什么时候补货", ("这款在补货中，到货后会在店铺上新，您可以先收藏",)),
    )),
    Topic("discount", (
        ("有优惠吗", ("亲，现在满199减20，两件一起拍很划算哦",)),
        ("买两件能便宜吗", ("店铺会员可以领5元券，两件一起拍还能参加满减",)),
    )),
)

AFTERSALE_TOPICS = (
    Topic("refund", (
        ("退款什么时候到账", ("亲，您的退款申请已经同意了，原路退回，到账时间以银行处理为准哦",)),
        ("我申请的退款怎么还没处理", (
            "非常抱歉让您久等了，已经帮您催促财务处理，有进展会及时通知您",
            "已经帮您加急处理了，仓库签收退货后会马上为您退款",
        )),
        ("帮我看下退款进度", ("帮您查了，退款已经提交，请留意账户的到账通知",)),
    )),
    Topic("return", (
        ("衣服大了想退", ("亲，在订单里点申请退货，选好退货原因后填写物流单号就可以了",)),
        ("怎么退货", ("亲，在订单里点申请退货，选好退货原因后填写物流单号就可以了",)),
        ("退货地址是哪里", ("退货地址在退货申请页面会显示，寄回时麻烦备注一下订单号哦",)),
        ("退货运费谁出", ("您的订单有运费险，退货后运费会自动理赔到账",)),
        ("吊牌剪了还能退吗", ("七天无理由退货的商品寄回时请保持吊牌完好哦，您先拍张照片给我看看",)),
    )),
    Topic("exchange", (
        ("能换个码吗", ("可以换的亲，您申请换货后把衣服寄回，我们收到后给您寄出新的尺码",)),
        ("想换{size}码", ("已经帮您登记换{size}码了，寄回时在包裹里放一张写有订单号的纸条哦",)),
        ("颜色拍错了能换吗", ("可以的，您在订单里申请换货，选择新的颜色就好",)),
    )),
    Topic("logistics", (
        ("快递三天没动了", ("非常抱歉让您久等了，快递网点已经在加急处理，物流更新后订单里就能看到",)),
        ("物流一直不更新", ("已经帮您催促快递网点了，有新进展会及时通知您",)),
        ("显示签收了但我没收到", ("麻烦您先问一下家人或者快递柜，签收记录里有快递员留下的投递位置",)),
    )),
    Topic("quality", (
        ("收到衣服有线头", ("非常抱歉给您带来不好的体验，麻烦拍一下照片发给我们，马上为您处理",)),
        ("拉链坏了", ("非常抱歉，这个情况可以给您补偿10元或者退货退款，您看哪种方式方便",)),
        ("衣服上有个小洞", ("非常抱歉，麻烦拍一下照片发给我们，已经为您登记质量问题，退货运费由我们承担",)),
        ("洗了一次就起球了", ("非常抱歉，麻烦拍一下起球的位置，帮您申请质量问题售后",)),
    )),
    Topic("invoice", (
        ("能开发票吗", ("可以的亲，在订单详情里申请开票，电子发票会发到您的订单里",)),
        ("发票抬头写错了", ("帮您作废重开，麻烦把正确的抬头和税号发给我",)),
    )),
)

PRESALE_CLOSINGS = (
    ("好的，谢谢", "不客气哦，有问题随时联系我们~"),
    ("那我先拍了", "好的亲，拍下后仓库会尽快为您安排发货"),
    ("好的我考虑一下", "好的，有需要随时找我哦"),
    ("行，我下单了", "感谢支持，祝您购物愉快~"),
    ("嗯嗯知道了", "好的亲，祝您生活愉快"),
)

AFTERSALE_CLOSINGS = (
    ("好的", "好的亲，给您添麻烦了，有问题随时联系我们~"),
    ("谢谢", "感谢您的理解，祝您生活愉快"),
    ("那我等等", "好的，处理好后会及时通知您"),
    ("行吧", "给您带来不便非常抱歉，感谢您的耐心"),
)

# A presale buyer raising an after-sale matter, and the agent handing the buyer over.
HANDOVER_QUESTIONS = ("另外我上次买的衣服有点问题", "之前买的那件想退货，找谁", "上个订单的退款还没到")
HANDOVER_ANSWER = "这个问题帮您转接售后同事{name}处理哦，请稍等"

FOLLOW_UPS = ("？", "在吗", "还在吗", "麻烦快点", "亲？")

AGENT_EXTRAS = (
    "您可以先加入购物车，方便下次找到哦",
    "详情页有模特实拍图，可以参考一下",
    "还有其他问题随时问我哦",
)

AUTO_GREETING = "[自动回复]您好，欢迎光临{shop}，客服{name}马上为您服务~"
AUTO_BUSY = "[自动回复]当前咨询人数较多，请您稍等，客服会按顺序回复您"
AUTO_OFF_DUTY = "[自动回复]您好，客服在线时间为8:30-00:30，您的留言我们上班后会按顺序回复"

BUYER_NICK_WORDS = (
    "橙子", "柠檬", "小鹿", "月亮", "星星", "奶茶", "阿狸", "糖糖", "豆豆", "果果", "七七", "可乐", "西瓜",
    "团子", "麦兜", "樱桃", "薄荷", "布丁", "芒果", "栗子", "晴天", "小熊", "兔子", "云朵",
)
BUYER_NICK_TAILS = ("爱吃草", "不酸", "的猫", "同学", "酱", "呀", "2019", "_88", "宝宝", "小姐姐", "1992", "酱酱")
BUYER_NICK_LATIN = (
    "maomao", "lucy", "jenny", "tommy", "kiki", "lily", "sunny", "momo", "yoyo", "coco", "amy", "leo",
    "vivian", "xiaomi", "dandan", "zoe",
)


def conversation_context(rng: random.Random, item: Item) -> dict[str, object]:
    """Item, size, colour and body measures chosen once, so a question and its answer agree."""
    return {
        "item": item.title,
        "size": rng.choice(item.sizes),
        "color": rng.choice(item.colors),
        "h": rng.randrange(150, 186),
        "w": rng.randrange(85, 146, 5),
        "city": rng.choice(CITIES),
        "months": rng.randrange(3, 19),
        "ww": rng.randrange(12, 26),
        "h2": rng.choice(("66cm", "73cm", "80cm", "90cm")),
    }


def question_and_answer(rng: random.Random, topic: Topic, context: dict[str, object]) -> tuple[str, str]:
    question, answers = rng.choice(topic.pairs)
    return question.format(**context), rng.choice(answers).format(**context)


def buyer_nicks(rng: random.Random, n: int, reserved: set[str]) -> list[str]:
    """`n` distinct Taobao-style nicks (no colon, no space), none in `reserved`."""
    out: list[str] = []
    seen = set(reserved)
    while len(out) < n:
        style = rng.random()
        if style < 0.35:
            nick = rng.choice(BUYER_NICK_WORDS) + rng.choice(BUYER_NICK_TAILS)
        elif style < 0.65:
            nick = f"{rng.choice(BUYER_NICK_LATIN)}_{rng.randrange(10, 9999)}"
        elif style < 0.85:
            nick = f"tb{rng.randrange(1000, 99999999)}_{rng.randrange(10, 99)}"
        else:
            nick = f"{rng.choice(BUYER_NICK_WORDS)}{rng.choice(BUYER_NICK_WORDS)}{rng.randrange(1, 100)}"
        if nick not in seen:
            seen.add(nick)
            out.append(nick)
    return out


def agent_texts() -> list[str]:
    """Every agent-side template of the regular banks, for the cleanliness check."""
    texts = [AUTO_GREETING, AUTO_BUSY, AUTO_OFF_DUTY, HANDOVER_ANSWER, *AGENT_EXTRAS]
    for topics in (PRESALE_TOPICS, BABY_TOPICS, AFTERSALE_TOPICS):
        for topic in topics:
            for _, answers in topic.pairs:
                texts.extend(answers)
    texts.extend(a for _, a in PRESALE_CLOSINGS + AFTERSALE_CLOSINGS)
    return texts


def forbidden_words_in(text: str) -> list[str]:
    return [w for w in FORBIDDEN_IN_AGENT_TEXT if w in text]
