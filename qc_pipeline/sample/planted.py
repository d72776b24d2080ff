"""Hand-planned conversations, one per edge case of the definitions, each tagged with its case.

Waits are written as planned on-duty seconds. Inside a duty day the reply is simply first message +
wait; where a wait spans the off-duty night (00:30-08:30) the reply time is given explicitly and the
comment shows how the on-duty seconds add up.
"""
from __future__ import annotations

import datetime as dt
import itertools
from typing import Callable

from qc_pipeline.sample import catalog, texts
from qc_pipeline.sample.conversation import Conversation
from qc_pipeline.sample.model import Msg, Session
from qc_pipeline.sample.period import Period
from qc_pipeline.sample.shops import MAIN_SHOP, SMALL_SHOP, shop
from qc_pipeline.sample.standard_truth import AUTO_DATE, PROMISE, REMINDER

# Buyers the planted cases use; ordinary days never pick them.
PLANTED_BUYERS = (
    "tb_yeye03", "kiki_0721", "mumu_1999", "lemon_tree22", "yoyo_sleepy", "tb_maomao88", "coco_zhang",
    "tb8812_77", "xiaoyu_hz", "orange_2046", "peach_momo", "xiaolu_2017", "tom_cat_1988", "sunflower_88",
    "bella_hz", "nini_baby", "guest_lala", "happy_kk", "rainy_day_01", "night_owl_z", "yunduo_mama",
    "jenny_w", "sunny_lili", "momo_night", "river_wu", "dudu_2023", "dabai_0503",
    # the service-standard cases
    "wenwen_hz", "lucky_star7", "tb_dora_22", "xixi_0808", "bobo_tea", "yiyi_baby", "miumiu_77", "aqua_lin",
    "pear_xia", "tb_nuomi", "dingding_520", "haha_cat9", "panda_mia", "lulu_2088", "fast_pay_01",
)

# Dated auto-replies a shop forgot to replace (auto_reply_dates.toml): 双11 names an event that ends on
# 11-11, the coupon text a closing date (filled in from the period).
AUTO_DOUBLE11 = "[自动回复]您好，双11活动期间咨询较多，客服会按顺序回复您"
AUTO_COUPON_UNTIL = "[自动回复]您好，满299减30的店铺券截止{month}月{day}日，欢迎领取"


def _acc(name: str, shop_name: str = MAIN_SHOP) -> str:
    return shop(shop_name).agent(name).account


def plant(msg: Msg, clause: str, case: str, expect: str | None = None) -> Msg:
    """Mark a text as written for a service-standard clause; the generator refuses clause wording anywhere
    else, and a planted `expect` (a promise's status, an auto-reply's stale | fresh) the truth does not give."""
    msg.planted, msg.case, msg.expect = clause, case, expect
    return msg


class Planter:
    def __init__(self, ids: itertools.count, period: Period):
        self.ids, self.p = ids, period
        self.sessions: list[Session] = []

    def at(self, day: int, clock: str):
        return self.p.at(day, clock)

    def conv(self, buyer: str, agent: str, files: list[str], cases: tuple[str, ...], kind: str = "presale",
             shop_name: str = MAIN_SHOP) -> Conversation:
        return Conversation(self.ids, shop_name, buyer, _acc(agent, shop_name), kind, files, cases)

    def keep(self, conv: Conversation) -> Session:
        session = conv.build()
        self.sessions.append(session)
        return session


def off_shift_next_morning(pl: Planter) -> None:
    at = pl.at
    c = pl.conv("tb_yeye03", "小雅", [catalog.PRESALE_CSV], ("off_shift_next_morning", "auto_reply_first"))
    c.ask(at(1, "03:10:00"), "你好，这件加厚羽绒服还有L码吗", clock_start=at(1, "08:30:00"),
          cases=("off_shift_next_morning", "auto_reply_first"))
    c.auto(at(1, "03:10:01"), texts.AUTO_OFF_DUTY)
    c.ask(at(1, "06:45:00"), "有人吗")
    # Nothing before 08:30:00 is on duty: 08:30:00 -> 08:31:10 is the whole wait.
    c.answer("早上好亲，L码有现货的，可以放心拍哦", wait=70, at=at(1, "08:31:10"))
    c.ask(at(1, "08:32:30"), "黑色也有吗")
    c.answer("黑色L码也有的，拍下后仓库会按顺序发出", wait=35)
    pl.keep(c)

    c = pl.conv("kiki_0721", "阿杰", [catalog.PRESALE_CSV], ("off_shift_next_morning", "off_shift_met_target"))
    c.ask(at(3, "07:55:00"), "请问今天能发货吗", clock_start=at(3, "08:30:00"),
          cases=("off_shift_next_morning", "off_shift_met_target"))
    # 35 wall-clock minutes, but only 08:30:00 -> 08:30:20 on duty.
    c.answer("早上好亲，仓库按付款顺序安排发货，您付款后会尽快为您发出哦", wait=20, at=at(3, "08:30:20"))
    c.ask(at(3, "08:31:00"), "好的，那我现在拍")
    c.answer("好的亲，感谢支持~", wait=12)
    pl.keep(c)


def cross_midnight(pl: Planter) -> None:
    at = pl.at
    # The buyer writes to the late agent just before the shift ends; the early agent answers.
    c = pl.conv("mumu_1999", "小鹿", [catalog.PRESALE_CSV], ("cross_midnight",))
    c.ask(at(2, "00:29:30"), "这件羊毛大衣有运费险吗", cases=("cross_midnight",))
    # 00:29:30 -> 00:30:00 is 30 s on duty, 08:30:00 -> 08:30:40 another 40 s.
    c.answer("早上好亲，这款自带运费险，退换都很方便哦", wait=70, at=at(2, "08:30:40"), agent=_acc("小雅"))
    pl.keep(c)


def shift_end_boundary(pl: Planter) -> None:
    at = pl.at
    c = pl.conv("lemon_tree22", "阿杰", [catalog.PRESALE_CSV], ("shift_end_boundary",))
    # 00:30:00 is already off duty (shifts are half-open), so the clock starts at 08:30:00.
    c.ask(at(4, "00:30:00"), "在吗", clock_start=at(4, "08:30:00"), cases=("shift_end_boundary",))
    c.ask(at(4, "00:31:00"), "想问下羊毛大衣会起球吗")
    c.answer("早上好亲，这款羊毛大衣做了抗起球处理，日常穿着不容易起球哦", wait=25, at=at(4, "08:30:25"))
    pl.keep(c)


def reply_after_shift_end(pl: Planter) -> None:
    at = pl.at
    c = pl.conv("momo_night", "小满", [catalog.PRESALE_CSV], ("reply_after_shift_end", "off_shift_next_morning"))
    c.ask(at(6, "00:25:00"), "还在吗，想问下尺码", cases=("reply_after_shift_end",))
    # 00:25:00 -> 00:30:00 is 300 s on duty; the agent staying on until 00:40 adds nothing.
    c.answer("在的亲，您说一下身高体重，帮您推荐尺码", wait=300, at=at(6, "00:40:00"))
    c.serving = _acc("小雅")
    c.ask(at(6, "00:41:00"), "165，100斤", clock_start=at(6, "08:30:00"), cases=("off_shift_next_morning",))
    c.answer("早上好亲，按您的身高体重推荐S码哦", wait=45, at=at(6, "08:30:45"))
    pl.keep(c)


def gap_spans_off_duty(pl: Planter) -> None:
    at = pl.at
    c = pl.conv("yoyo_sleepy", "小满", [catalog.PRESALE_CSV], ("gap_spans_off_duty", "shift_handover"))
    c.ask(at(5, "00:18:00"), "这条阔腿西装裤有S码吗")
    c.answer("有的亲，S码有现货", wait=12)
    c.ask(at(5, "00:20:00"), "好的，我明天再看看")
    c.answer("好的亲，有需要随时找我哦", wait=15)
    # 00:20:15 -> 00:30:00 is 585 s on duty and 08:30:00 -> 08:45:00 another 900 s: 1485 s of idle
    # time, under the 1800 s limit, so the morning question continues the same session.
    c.serving = _acc("小雅")
    c.ask(at(5, "08:45:00"), "早，我还是拍S码吧", cases=("gap_spans_off_duty", "shift_handover"))
    c.answer("好的亲，S码有现货，拍下就可以", wait=50)
    pl.keep(c)


def transfer_with_desktop_copy(pl: Planter) -> None:
    at = pl.at
    files = [catalog.PRESALE_CSV, catalog.DESKTOP_PLAIN]
    c = pl.conv("tb_maomao88", "小雅", files, ("transfer", "overlap_duplicate", "auto_reply_first", "recall"))
    c.ask(at(8, "10:12:03"), "在吗", cases=("auto_reply_first",))
    c.auto(at(8, "10:12:04"), texts.AUTO_GREETING.format(shop=MAIN_SHOP, name="小雅"))
    c.ask(at(8, "10:12:10"), "这件羊毛大衣有M码吗")
    c.answer("在的，M码有货哦", wait=37)
    c.ask(at(8, "10:13:05"), "我平时穿M，肩宽42，会不会紧")
    c.answer("肩宽42穿M码刚好，里面加毛衣也不会紧", wait=45)
    c.say(at(8, "10:14:05"), "您稍等，帮您转接负责版型的同事阿杰")
    c.transfer(at(8, "10:14:20"), _acc("阿杰"))
    c.note(at(8, "10:15:00"), "recall")
    c.ask(at(8, "10:15:10"), "好的", cases=("transfer",))
    c.answer("您好，我是阿杰，这款M码肩宽43，您穿着会比较合身", wait=30)
    c.ask(at(8, "10:17:00"), "那我拍了，能送运费险吗")
    c.answer("这款自带运费险，退换都很方便", wait=55)
    # Unanswered: the CSV row carries the transfer target, and so does the reader's inference.
    c.ask(at(8, "10:19:30"), "好的谢谢", cases=("unanswered_after_transfer",))
    pl.keep(c)

    # Only in the desktop copy. Its first line is read as addressed to 阿杰 (the last agent-side sender
    # in the file); that round is answered, so only the unanswered last round depends on the inference.
    c = pl.conv("tb_maomao88", "小雅", [catalog.DESKTOP_PLAIN], ("text_only",))
    c.ask(at(11, "09:05:00"), "上次买的大衣收到了，想再买一条裤子")
    c.answer("欢迎回来，您看中的是哪一款呢", wait=15)
    c.ask(at(11, "09:05:40"), "高腰牛仔裤，我165，110斤")
    c.answer("按您的身高体重推荐27码，裤长刚好到脚踝", wait=60)
    c.say(at(11, "09:06:55"), "还有其他问题随时问我哦")
    c.ask(at(11, "09:09:00"), "好的我看看", cases=("unanswered_text_inferred_before",))
    pl.keep(c)


def transfer_to_aftersale(pl: Planter) -> None:
    at = pl.at
    c = pl.conv("coco_zhang", "小雅", [catalog.PRESALE_CSV], ("transfer", "transfer_to_aftersale"))
    c.ask(at(9, "14:20:00"), "你好，这件针织开衫有米白色M码吗")
    c.answer("您好，米白色M码有现货的", wait=12)
    c.ask(at(9, "14:21:30"), "另外上周买的裤子想退货")
    c.answer("这个问题帮您转接售后同事小周处理哦，请稍等", wait=20)
    c.transfer(at(9, "14:22:00"), _acc("小周"))
    c.ask(at(9, "14:22:30"), "好的", cases=("transfer_to_aftersale",))
    c.answer("您好，我是售后小周，麻烦提供一下裤子的订单号", wait=95)
    c.ask(at(9, "14:25:00"), "订单号发你了，退货地址发我一下")
    c.answer("退货地址在退货申请页面会显示，寄回时麻烦备注一下订单号哦", wait=200, cases=("slow_reply",))
    c.ask(at(9, "14:30:00"), "收到", cases=("unanswered_after_transfer",))
    pl.keep(c)


def three_before_reply(pl: Planter) -> None:
    at = pl.at
    c = pl.conv("tb8812_77", "阿杰", [catalog.PRESALE_CSV], ("three_before_reply",))
    c.ask(at(2, "15:02:00"), "在吗", cases=("three_before_reply",))
    c.ask(at(2, "15:02:08"), "这件冲锋衣防水吗")
    c.ask(at(2, "15:02:20"), "我下周去爬山穿")
    # Timed from the first line: 35 s misses the 30 s target (from the last line it would be 15 s).
    c.answer("您好，这款冲锋衣面料做了防水涂层，爬山穿很合适", wait=35)
    c.ask(at(2, "15:03:10"), "有XL码吗")
    c.answer("XL码有现货的", wait=20)
    c.ask(at(2, "15:05:10"), "帽子能拆吗", cases=("three_before_reply",))
    c.ask(at(2, "15:05:30"), "除了黑色还有什么颜色")
    c.ask(at(2, "15:06:00"), "？")
    # 200 s from the first line misses 180 s; from the last line it would be 150 s.
    c.answer("帽子可以拆卸，颜色还有军绿色和藏青色", wait=200)
    pl.keep(c)


def equal_timestamp(pl: Planter) -> None:
    at = pl.at
    c = pl.conv("xiaoyu_hz", "阿杰", [catalog.PRESALE_CSV], ("equal_timestamp",))
    question = c.ask(at(3, "11:20:15"), "有优惠券吗", cases=("equal_timestamp",))
    reply = c.answer("亲，店铺首页可以领满299减30的券哦", wait=0, same_second=True)
    c.ask(at(3, "11:21:00"), "满299是按实付算吗")
    c.answer("按结算页的实付金额计算哦", wait=25)
    session = pl.keep(c)
    # The export lists the reply before the question; the same second sorts the buyer first.
    order = list(session.msgs)
    i, j = order.index(question), order.index(reply)
    order[i], order[j] = order[j], order[i]
    session.export_order = order


def idle_gap_thresholds(pl: Planter) -> None:
    at = pl.at
    c = pl.conv("orange_2046", "小雅", [catalog.PRESALE_CSV], ("gap_exact_threshold",))
    c.ask(at(4, "13:20:00"), "摇粒绒外套有卡其色吗")
    c.answer("卡其色有现货的亲", wait=18)
    c.ask(at(4, "13:25:00"), "L码呢")
    c.answer("L码也有的", wait=300, cases=("slow_reply",))
    pl.keep(c)
    # Exactly 1800 s after the last message: a new session with a new first round.
    c = pl.conv("orange_2046", "小雅", [catalog.PRESALE_CSV], ("gap_exact_threshold",))
    c.ask(at(4, "14:00:00"), "还想问下，这件会掉毛吗", cases=("gap_exact_threshold",))
    c.answer("这款做了防掉毛处理，正常穿着不会掉毛", wait=25)
    pl.keep(c)

    c = pl.conv("peach_momo", "阿杰", [catalog.PRESALE_CSV], ("gap_just_under",))
    c.ask(at(4, "15:30:00"), "百褶半身裙有S码吗")
    c.answer("S码有现货的亲", wait=10)
    # 1799 s after the reply: still the same session, a follow-up round.
    c.ask(at(4, "15:59:59"), "那帮我留一件S码", cases=("gap_just_under",))
    c.answer("亲，库存按付款顺序分配，您拍下付款就可以锁定哦", wait=41)
    pl.keep(c)


def multi_session_buyer(pl: Planter) -> None:
    at = pl.at
    tag = ("multi_session_buyer",)
    c = pl.conv("xiaolu_2017", "小雅", [catalog.PRESALE_CSV], tag)
    c.ask(at(0, "10:05:00"), "你好，高腰牛仔裤有26码吗", cases=tag)
    c.answer("您好，26码有现货的", wait=14)
    c.ask(at(0, "10:06:30"), "会不会很紧")
    c.answer("这款面料有弹力，按平时尺码拍穿着很舒服", wait=40)
    pl.keep(c)
    c = pl.conv("xiaolu_2017", "阿杰", [catalog.PRESALE_CSV], tag)
    c.ask(at(0, "15:40:00"), "刚才问的裤子，浅蓝色还有吗", cases=tag)
    c.answer("浅蓝色26码也有的亲", wait=22)
    pl.keep(c)
    c = pl.conv("xiaolu_2017", "小鹿", [catalog.PRESALE_CSV], tag)
    c.ask(at(3, "20:10:00"), "裤子收到了，想再买件卫衣", cases=tag)
    c.answer("欢迎回来，您看中的是哪个颜色呢", wait=19)
    c.ask(at(3, "20:11:10"), "燕麦色L码")
    c.answer("燕麦色L码有现货，可以直接拍哦", wait=31)
    pl.keep(c)
    c = pl.conv("xiaolu_2017", "小周", [catalog.AFTERSALE_CSV], tag, kind="aftersale")
    c.ask(at(5, "11:00:00"), "卫衣大了想换小一码", cases=tag)
    c.answer("可以换的亲，您申请换货后把衣服寄回，我们收到后给您寄出M码", wait=120)
    c.ask(at(5, "11:03:00"), "好的，运费谁出")
    c.answer("您的订单有运费险，退货后运费会自动理赔到账", wait=45)
    pl.keep(c)


def slow_replies(pl: Planter) -> None:
    at = pl.at
    c = pl.conv("tom_cat_1988", "小满", [catalog.PRESALE_CSV], ("slow_reply", "wait_over_cap"))
    c.ask(at(5, "21:00:00"), "你好，连帽卫衣XXL码还有吗", cases=("slow_reply",))
    c.answer("您好，XXL码有现货的", wait=95)
    c.ask(at(5, "21:03:00"), "灰色的有吗", cases=("slow_reply",))
    c.answer("灰色XXL码也有的", wait=420)
    c.ask(at(5, "21:12:00"), "能便宜点吗", cases=("slow_reply", "wait_over_cap"))
    c.answer("现在已经是活动价了，领券后还能再减20元", wait=900)
    c.ask(at(5, "21:28:00"), "好的")
    c.answer("感谢支持，祝您购物愉快~", wait=10)
    pl.keep(c)


def aftersale_targets(pl: Planter) -> None:
    at = pl.at
    c = pl.conv("sunflower_88", "小周", [catalog.AFTERSALE_CSV], ("aftersale_first_within_target",), kind="aftersale")
    c.ask(at(1, "14:00:00"), "收到的衣服有线头", cases=("aftersale_first_within_target",))
    c.ask(at(1, "14:00:40"), "还有一个扣子松了")
    # 240 s: over the 30 s presale target, within the 300 s after-sale one.
    c.answer("非常抱歉给您带来不好的体验，麻烦拍一下照片发给我们，马上为您处理", wait=240)
    c.ask(at(1, "14:05:30"), "照片发你了")
    c.answer("收到照片了，已经为您登记质量问题，退货运费由我们承担", wait=60)
    pl.keep(c)

    c = pl.conv("bella_hz", "阿宁", [catalog.AFTERSALE_CSV], ("aftersale_first_missed",), kind="aftersale")
    c.ask(at(6, "19:00:00"), "我的退款怎么还没到", cases=("aftersale_first_missed", "slow_reply"))
    c.answer("非常抱歉让您久等了，已经帮您催促财务处理，有进展会及时通知您", wait=330)
    pl.keep(c)

    c = pl.conv("happy_kk", "小周", [catalog.AFTERSALE_CSV], ("agent_opens",), kind="aftersale")
    c.say(at(3, "10:30:00"), "您好，您的退货已经签收，退款已经为您提交")
    c.ask(at(3, "10:35:00"), "好的，多久到账", cases=("agent_opens",))
    c.answer("原路退回，到账时间以银行处理为准，请留意账户通知哦", wait=90)
    pl.keep(c)

    c = pl.conv("rainy_day_01", "小周", [catalog.AFTERSALE_CSV], ("system_message",), kind="aftersale")
    c.ask(at(5, "16:00:00"), "我申请了退款，麻烦处理一下", cases=("system_message",))
    c.system(at(5, "16:00:05"), "[系统消息]买家已申请退款，退款金额129.00元")
    c.answer("收到，已经为您同意退款，原路退回", wait=70)
    pl.keep(c)


def identical_lines(pl: Planter) -> None:
    at = pl.at
    c = pl.conv("nini_baby", "小鹿", [catalog.PRESALE_CSV], ("identical_lines",))
    # Two real messages: the buyer sent 在吗 twice within one second.
    c.ask(at(2, "16:40:05"), "在吗", cases=("identical_lines",))
    c.ask(at(2, "16:40:05"), "在吗", same_second=True)
    c.ask(at(2, "16:40:12"), "这个裙子有S码吗")
    c.answer("在的亲，S码有现货", wait=25)
    pl.keep(c)


def auto_reply_only(pl: Planter) -> None:
    at = pl.at
    c = pl.conv("guest_lala", "小满", [catalog.PRESALE_CSV], ("auto_reply_only",))
    c.ask(at(6, "22:10:00"), "有人吗", cases=("auto_reply_only",))
    c.auto(at(6, "22:10:01"), texts.AUTO_BUSY)
    pl.keep(c)


def week_boundary(pl: Planter) -> None:
    if pl.p.n_days < 14:
        return
    at = pl.at
    c = pl.conv("night_owl_z", "小满", [catalog.PRESALE_CSV], ("week_boundary",))
    c.ask(at(6, "23:40:00"), "这件卫衣有XL吗", cases=("week_boundary",))
    c.answer("有的亲，XL码有现货", wait=20)
    # Sunday 23:40:20 -> Monday 00:05:00 is all on duty (1480 s): the same session, the next ISO week.
    c.ask(at(7, "00:05:00"), "好的，那灰色呢", cases=("week_boundary",))
    c.answer("灰色XL码也有的", wait=30)
    pl.keep(c)


def small_shop_web_page(pl: Planter) -> None:
    at = pl.at
    files = [catalog.WEB_SMALL_SHOP]
    c = pl.conv("yunduo_mama", "小桃", files, ("text_only", "unanswered_only"), shop_name=SMALL_SHOP)
    c.ask(at(1, "21:00:00"), "在吗", cases=("unanswered_text_inferred_after",))
    c.ask(at(1, "21:00:20"), "宝宝8个月，18斤，连体衣穿什么码")
    pl.keep(c)
    c = pl.conv("yunduo_mama", "小桃", files, ("text_only", "auto_reply_first"), shop_name=SMALL_SHOP)
    c.ask(at(3, "14:10:00"), "你好，儿童羽绒服有110码吗", cases=("auto_reply_first",))
    c.auto(at(3, "14:10:01"), texts.AUTO_GREETING.format(shop=SMALL_SHOP, name="小桃"))
    c.answer("您好，110码有现货的，可以直接拍哦", wait=22)
    c.ask(at(3, "14:11:30"), "是纯棉内里吗")
    c.answer("内里是纯棉的，宝宝穿着很舒服", wait=40)
    pl.keep(c)
    c = pl.conv("yunduo_mama", "小桃", files, ("text_only",), shop_name=SMALL_SHOP)
    c.ask(at(5, "20:30:00"), "羽绒服收到了，很合身")
    c.answer("感谢您的认可，宝宝穿得开心就好", wait=18)
    c.ask(at(5, "20:31:10"), "再问下口水巾是五条装吗")
    c.answer("是五条装的，颜色随机搭配", wait=35)
    c.ask(at(5, "20:33:00"), "好的", cases=("unanswered_text_inferred_before",))
    pl.keep(c)


def main_shop_web_page(pl: Planter) -> None:
    at = pl.at
    c = pl.conv("jenny_w", "小鹿", [catalog.PRESALE_CSV, catalog.WEB_MAIN_SHOP], ("overlap_duplicate",))
    c.ask(at(8, "19:30:00"), "你好，这件纯棉衬衫白色透不透")
    c.answer("您好，白色面料做了加密处理，单穿不透哦", wait=16)
    c.ask(at(8, "19:31:00"), "那M码还有吗")
    c.answer("M码有现货的", wait=28)
    c.ask(at(8, "19:32:40"), "好的谢谢")
    c.answer("不客气哦，有问题随时联系我们~", wait=9)
    pl.keep(c)
    c = pl.conv("jenny_w", "阿杰", [catalog.WEB_MAIN_SHOP], ("text_only", "auto_reply_first", "short_time_line"))
    first = c.ask(at(10, "09:40:00"), "早上好，衬衫收到了，想再买一件浅蓝色的", cases=("auto_reply_first",))
    first.short_time = True  # the page shows this time as 9:40
    c.auto(at(10, "09:40:01"), texts.AUTO_GREETING.format(shop=MAIN_SHOP, name="阿杰"))
    c.answer("早上好，浅蓝色M码有现货，可以直接拍哦", wait=33)
    c.ask(at(10, "09:41:20"), "能和上次的一起用券吗")
    c.answer("优惠券每个订单单独使用，这次结算时可以领新的满减券", wait=47)
    pl.keep(c)


def desktop_bracketed_after_sale(pl: Planter) -> None:
    at = pl.at
    c = pl.conv("sunny_lili", "小周", [catalog.DESKTOP_BRACKETED], ("text_only", "off_shift_next_morning"),
                kind="aftersale")
    c.ask(at(3, "01:40:00"), "我的快递三天没动了", clock_start=at(3, "08:30:00"),
          cases=("off_shift_next_morning",))
    c.auto(at(3, "01:40:01"), texts.AUTO_OFF_DUTY)
    c.ask(at(3, "01:41:10"), "麻烦帮我查一下")
    c.note(at(3, "08:30:05"), "system", f"由 服务助手 转交给 {_acc('小周')}")
    c.note(at(3, "08:30:06"), "system", "原因：【离线留言自动分配】")
    # On duty only from 08:30:00: a 50 s wait.
    # 帮您联系快递 is a look-up promise (promise.ask_colleague), kept by the next reply at 08:33:30.
    plant(c.answer("非常抱歉让您久等了，已经帮您联系快递加急处理，有进展会马上告诉您", wait=50, at=at(3, "08:30:50")),
          PROMISE, "promise_kept_same_session", "kept")
    c.ask(at(3, "08:32:00"), "好的，什么时候能更新")
    c.answer("已经帮您催促快递网点了，有新进展会及时通知您", wait=90)
    c.ask(at(3, "08:35:00"), "好的谢谢")
    c.answer("感谢您的理解，祝您生活愉快", wait=8)
    pl.keep(c)


# Conversations whose orders (planted_orders.py) pin down conversion attribution.

def consecutive_days(pl: Planter) -> None:
    at = pl.at
    tag = ("consecutive_days",)
    c = pl.conv("river_wu", "小鹿", [catalog.PRESALE_CSV], tag)
    c.ask(at(1, "20:05:00"), "这件摇粒绒外套有米白色L码吗", cases=tag)
    c.answer("有的亲，米白色L码有现货", wait=21)
    c.ask(at(1, "20:06:30"), "我明天再决定")
    c.answer("好的亲，有需要随时找我哦", wait=30)
    pl.keep(c)
    c = pl.conv("river_wu", "阿杰", [catalog.PRESALE_CSV], tag)
    c.ask(at(2, "11:00:00"), "昨天问的摇粒绒外套，卡其色也有L码吗", cases=tag)
    c.answer("卡其色L码也有现货的亲", wait=18)
    c.ask(at(2, "11:01:10"), "好，那就卡其色")
    c.answer("好的亲，感谢支持~", wait=25)
    pl.keep(c)

    tag = ("ordered_before_second_chat",)
    c = pl.conv("dudu_2023", "小满", [catalog.PRESALE_CSV], tag)
    c.ask(at(8, "19:10:00"), "纯棉衬衫浅蓝色有M码吗", cases=tag)
    c.answer("有的亲，浅蓝色M码有现货", wait=26)
    pl.keep(c)
    # The next day the buyer orders first and only then asks about shipping.
    c = pl.conv("dudu_2023", "小雅", [catalog.PRESALE_CSV], tag)
    c.ask(at(9, "14:30:00"), "衬衫拍好了，什么时候发货呀", cases=tag)
    c.answer("亲，仓库按付款顺序安排发货，发出后会有物流通知哦", wait=15)
    pl.keep(c)


def ordered_before_chat(pl: Planter) -> None:
    at = pl.at
    tag = ("ordered_before_chat",)
    c = pl.conv("dabai_0503", "小雅", [catalog.PRESALE_CSV], tag)
    c.ask(at(10, "10:05:00"), "拍了还没付款，地址能改吗", cases=tag)
    c.answer("可以的亲，付款前在订单详情页就能修改收货地址", wait=18)
    c.ask(at(10, "10:06:10"), "好的，改好了")
    c.answer("好的亲，感谢支持~", wait=12)
    pl.keep(c)


# Service-standard clauses (docs/metrics.md): look-up promises, payment reminders, handovers, dated
# auto-replies. The promise and reminder texts are the only ones in the sample that carry the wording.

def promise_kept_after_holding(pl: Planter) -> None:
    at = pl.at
    tag = ("promise_kept_same_session",)
    c = pl.conv("wenwen_hz", "小周", [catalog.AFTERSALE_CSV], tag, kind="aftersale")
    c.ask(at(2, "10:20:00"), "上周买的羽绒服想换个颜色，还有藏青色L码吗", cases=tag)
    plant(c.answer("我帮您查一下仓库的库存，请稍等", wait=40), PROMISE, "promise_kept_same_session", "kept")
    c.ask(at(2, "10:22:00"), "查到了吗")
    # Only holding words: not an answer, so it keeps nothing.
    c.answer("还在查，请稍等~", wait=30)
    c.ask(at(2, "10:24:00"), "麻烦快点")
    # A second promise keeps nothing either; the next real answer keeps both.
    plant(c.answer("仓库还在核实，核实后马上回复您", wait=60), PROMISE, "promise_kept_same_session", "kept")
    c.say(at(2, "10:27:00"), "让您久等了，藏青色L码有现货，换货申请提交后，仓库收到退回的衣服就给您寄出")
    c.ask(at(2, "10:28:00"), "好的，那我去申请")
    c.answer("好的亲，给您添麻烦了，有问题随时联系我们~", wait=45)
    pl.keep(c)


def promise_kept_by_colleague(pl: Planter) -> None:
    at = pl.at
    tag = ("promise_kept_by_colleague",)
    c = pl.conv("lucky_star7", "小满", [catalog.PRESALE_CSV], tag)
    c.ask(at(3, "23:40:00"), "驼色羊毛大衣M码什么时候补货", cases=tag)
    plant(c.answer("我帮您问一下仓库，明天给您回复", wait=25), PROMISE, "promise_kept_by_colleague", "kept")
    pl.keep(c)
    # The early shift answers it the next morning (a session of its own: 49 on-duty minutes passed).
    c = pl.conv("lucky_star7", "小雅", [catalog.PRESALE_CSV], tag)
    c.say(at(4, "09:30:00"), "您好，昨天问的驼色羊毛大衣，仓库回复M码这周补货，补货后详情页会更新库存")
    c.ask(at(4, "09:35:00"), "好的，我到时候再看看", cases=tag)
    c.answer("好的亲，感谢支持~", wait=20)
    pl.keep(c)


def promise_due_boundaries(pl: Planter) -> None:
    at = pl.at
    # Answered exactly 24 h later: still kept.
    tag = ("promise_kept_at_due",)
    c = pl.conv("tb_dora_22", "阿杰", [catalog.PRESALE_CSV], tag)
    c.ask(at(8, "13:59:30"), "这件冲锋衣的防水指数是多少", cases=tag)
    plant(c.answer("我帮您核实一下，核实后回复您", wait=30), PROMISE, "promise_kept_at_due", "kept")
    pl.keep(c)
    c = pl.conv("tb_dora_22", "阿杰", [catalog.PRESALE_CSV], tag)
    c.say(at(9, "14:00:00"), "您好，昨天问的冲锋衣已经核实了，面料的防水指数是10000毫米")
    c.ask(at(9, "14:02:00"), "好的谢谢", cases=tag)
    c.answer("不客气哦，有问题随时联系我们~", wait=15)
    pl.keep(c)

    # Answered 24 h and 1 s later: late.
    tag = ("promise_late",)
    c = pl.conv("xixi_0808", "小鹿", [catalog.PRESALE_CSV], tag)
    c.ask(at(9, "19:59:40"), "这条百褶半身裙的腰围是多少", cases=tag)
    plant(c.answer("我去确认一下尺码表，稍后给您答复", wait=20), PROMISE, "promise_late", "late")
    pl.keep(c)
    c = pl.conv("xixi_0808", "小鹿", [catalog.PRESALE_CSV], tag)
    c.say(at(10, "20:00:01"), "您好，百褶半身裙S码腰围66厘米，M码70厘米，L码74厘米")
    c.ask(at(10, "20:03:00"), "好的", cases=tag)
    c.answer("好的亲，感谢支持~", wait=10)
    pl.keep(c)


def promise_broken_and_open(pl: Planter) -> None:
    at = pl.at
    # Never answered; the shop's data runs on for another week: broken.
    tag = ("promise_broken",)
    c = pl.conv("bobo_tea", "小周", [catalog.AFTERSALE_CSV], tag, kind="aftersale")
    c.ask(at(5, "14:58:00"), "我的退货寄回去三天了，还没退款", cases=tag)
    plant(c.answer("非常抱歉，我去问一下仓库的签收情况，晚点回复您", wait=120), PROMISE, "promise_broken", "broken")
    pl.keep(c)
    # Promised on the sample's last evening: due after the shop's last message, so still open.
    tag = ("promise_open",)
    c = pl.conv("yiyi_baby", "阿宁", [catalog.AFTERSALE_CSV], tag, kind="aftersale")
    c.ask(at(pl.p.n_days - 1, "20:59:30"), "订单显示已签收，但我没收到", cases=tag)
    plant(c.answer("非常抱歉，我帮您联系快递核实一下，明天给您答复", wait=30), PROMISE, "promise_open", "open")
    pl.keep(c)


def stale_auto_replies(pl: Planter) -> None:
    at = pl.at
    days = pl.p.days

    def chat(buyer: str, day: int, question: str, auto_text: str, expect: str, answer: str) -> None:
        case = "stale_auto_reply" if expect == "stale" else "auto_reply_date_not_passed"
        c = pl.conv(buyer, "小雅", [catalog.PRESALE_CSV], (case,))
        c.ask(at(day, "11:10:00"), question, cases=(case,))
        plant(c.auto(at(day, "11:10:01"), auto_text), AUTO_DATE, case, expect)
        c.answer(answer, wait=25)
        pl.keep(c)

    # 双11 ends on 11-11: the text is the coming event's before it and on the day, stale after it. The days
    # are calendar days, planted where the period has them (11-13, else its first day after 11-11).
    def index(pick) -> int | None:
        return next((i for i, d in enumerate(days) if pick(d)), None)

    before, on = index(lambda d: (d.month, d.day) == (11, 10)), index(lambda d: (d.month, d.day) == (11, 11))
    after = index(lambda d: (d.month, d.day) == (11, 13))
    if after is None:
        after = index(lambda d: d > dt.date(d.year, 11, 11))
    if before is not None:
        chat("miumiu_77", before, "这件加厚羽绒服有黑色M码吗", AUTO_DOUBLE11, "fresh", "您好，黑色M码有现货的")
    if on is not None:
        chat("miumiu_77", on, "羽绒服今天下单什么时候发货", AUTO_DOUBLE11, "fresh",
             "亲，仓库按付款顺序安排发货，发出后订单里会显示物流单号哦")
    if after is not None:
        chat("miumiu_77", after, "羽绒服收到了，想再买一件米白色", AUTO_DOUBLE11, "stale", "您好，米白色M码也有现货的")
    # A coupon closing on the sample's third-last day: not stale that day, stale the next.
    last_day = pl.p.n_days - 3
    closing = days[last_day]
    coupon = AUTO_COUPON_UNTIL.format(month=closing.month, day=closing.day)
    chat("aqua_lin", last_day, "店铺券怎么领", coupon, "fresh", "亲，店铺首页就能领取，下单时会自动抵扣哦")
    chat("aqua_lin", last_day + 1, "昨天领的券还能用吗", coupon, "stale", "亲，领取后的券在有效期内都能使用哦")


def shift_change_handovers(pl: Planter) -> None:
    at = pl.at
    # Waiting at the early shift's end (16:30) and answered by the late shift in that very second: left by
    # 阿杰, 0 s after the late shift came on.
    tag = ("handover_at_shift_change",)
    c = pl.conv("pear_xia", "阿杰", [catalog.PRESALE_CSV], tag)
    c.ask(at(10, "16:28:30"), "这件针织开衫是羊毛的吗", cases=tag)
    c.answer("您好，这款是羊毛混纺的，手感柔软不扎", wait=90, agent=_acc("小鹿"))
    c.serving = _acc("小鹿")
    c.ask(at(10, "16:31:00"), "有M码吗")
    c.answer("M码有现货的亲", wait=20)
    pl.keep(c)
    # Unanswered, the session still open at 16:30 (9 min 50 s after its last message): left unanswered.
    tag = ("handover_unanswered",)
    c = pl.conv("tb_nuomi", "小雅", [catalog.PRESALE_CSV], tag)
    c.ask(at(11, "16:20:00"), "在吗", cases=tag)
    c.ask(at(11, "16:20:10"), "加厚羽绒服能机洗吗")
    pl.keep(c)


# Conversations with payment reminders (催付); their orders are in planted_orders.py.

def payment_reminders(pl: Planter) -> None:
    at = pl.at
    tag = ("reminded_then_paid",)
    c = pl.conv("dingding_520", "小雅", [catalog.PRESALE_CSV], tag)
    c.ask(at(2, "10:00:00"), "加厚羽绒服黑色M码还有吗", cases=tag)
    c.answer("黑色M码有现货的亲", wait=20)
    c.ask(at(2, "10:02:00"), "好的我拍了")
    c.answer("收到，仓库会按顺序为您打包", wait=15)
    # The order was created at 10:02:40 and is still unpaid.
    plant(c.say(at(2, "10:15:00"), "亲，看到您的订单还没付款哦，有问题随时问我"), REMINDER, "reminded_then_paid")
    c.ask(at(2, "10:20:00"), "刚才在忙，现在就付")
    c.answer("好的亲，感谢支持~", wait=12)
    pl.keep(c)

    tag = ("reminded_closed_unpaid",)
    c = pl.conv("haha_cat9", "阿杰", [catalog.PRESALE_CSV], tag)
    c.ask(at(3, "11:00:00"), "连帽卫衣灰色L码有货吗", cases=tag)
    c.answer("灰色L码有现货的", wait=18)
    plant(c.say(at(3, "11:20:00"), "亲，您的订单还没付款哦，未付款订单三天后会自动关闭"), REMINDER,
          "reminded_closed_unpaid")
    pl.keep(c)

    # Two agents chase one buyer for one order: 小雅 in the morning, 小满 in the evening.
    tag = ("double_chased",)
    c = pl.conv("panda_mia", "小雅", [catalog.PRESALE_CSV], tag)
    c.ask(at(4, "11:00:00"), "高腰牛仔裤27码有吗", cases=tag)
    c.answer("27码有现货的亲", wait=15)
    plant(c.say(at(4, "11:20:00"), "亲，您拍下的牛仔裤还没付款哦"), REMINDER, "double_chased")
    pl.keep(c)
    c = pl.conv("panda_mia", "小满", [catalog.PRESALE_CSV], tag)
    plant(c.say(at(4, "18:00:00"), "亲，您的订单还没有付款，付款后当天安排发货哦"), REMINDER, "double_chased")
    c.ask(at(4, "18:05:00"), "不好意思忘了，马上付", cases=tag)
    c.answer("好的亲，感谢支持~", wait=10)
    pl.keep(c)

    # A reminder exactly at the auto-close deadline (created + 72 h) still counts.
    tag = ("reminder_at_deadline",)
    c = pl.conv("lulu_2088", "小鹿", [catalog.PRESALE_CSV], tag)
    c.ask(at(7, "20:00:00"), "纯棉衬衫白色M码有吗", cases=tag)
    c.answer("白色M码有现货的亲", wait=20)
    pl.keep(c)
    c = pl.conv("lulu_2088", "小鹿", [catalog.PRESALE_CSV], tag)
    plant(c.say(at(10, "20:05:00"), "亲，您的订单还没付款哦，今天就会自动关闭"), REMINDER, "reminder_at_deadline")
    c.ask(at(10, "20:09:00"), "不要了，谢谢", cases=tag)
    c.answer("好的亲，有需要随时找我哦", wait=25)
    pl.keep(c)


CASES: tuple[Callable[[Planter], None], ...] = (
    off_shift_next_morning, cross_midnight, shift_end_boundary, reply_after_shift_end, gap_spans_off_duty,
    transfer_with_desktop_copy, transfer_to_aftersale, three_before_reply, equal_timestamp,
    idle_gap_thresholds, multi_session_buyer, slow_replies, aftersale_targets, identical_lines,
    auto_reply_only, week_boundary, small_shop_web_page, main_shop_web_page, desktop_bracketed_after_sale,
    consecutive_days, ordered_before_chat, promise_kept_after_holding, promise_kept_by_colleague,
    promise_due_boundaries, promise_broken_and_open, stale_auto_replies, shift_change_handovers, payment_reminders,
)


def plan_planted(ids: itertools.count, period: Period) -> list[Session]:
    pl = Planter(ids, period)
    for case in CASES:
        case(pl)
    return pl.sessions
