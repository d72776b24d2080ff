"""Hand-planted orders, one per edge case of conversion attribution, each with its outcome under every mode.

The conversations are in planted.py; the times of their presale replies are repeated in the comments,
since the windows run from them: a buyer-day's window is [first presale reply, + 48 h). Every outcome
below is checked again against the definitions when the sample is planned.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable

from qc_pipeline.sample.conversion_truth import Outcome
from qc_pipeline.sample.order_plan import OrderBook, every_mode
from qc_pipeline.sample.period import Period
from qc_pipeline.sample.shops import MAIN_SHOP, SMALL_SHOP, shop


class Orders:
    def __init__(self, book: OrderBook, period: Period):
        self.book, self.p = book, period

    def at(self, day: int, clock: str) -> dt.datetime:
        return self.p.at(day, clock)

    def day(self, day: int) -> dt.date:
        return self.p.at(day, "00:00:00").date()

    def converts(self, day: int, agent: str, shop_name: str = MAIN_SHOP) -> Outcome:
        return Outcome(self.day(day), True, False, shop(shop_name).agent(agent).account)

    def held(self, day: int) -> Outcome:
        """In the day's window, but it does not convert."""
        return Outcome(self.day(day), False, False, None)

    def unpaid(self, day: int) -> dict[str, Outcome]:
        """An order of the day's window never paid: held where orders count, nothing where payments do."""
        return {"order": self.held(day), "paid": self.NOTHING, "order_then_paid": self.held(day)}

    SILENT = Outcome(None, False, True, None)
    NOTHING = Outcome(None, False, False, None)

    def add(self, buyer: str, created: dt.datetime, paid: dt.datetime | None, expect: dict[str, Outcome],
            cases: tuple[str, ...], shop_name: str = MAIN_SHOP, **kw) -> None:
        self.book.add(shop_name, buyer, created, paid, expect, cases=cases, **kw)


def transfer_credit(o: Orders) -> None:
    # 小雅 answers at 10:12:40 and 10:13:50, transfers the buyer, 阿杰 answers at 10:15:40 and 10:17:55.
    # The order comes after: credit to 阿杰 (最后接待), an assist for 小雅.
    o.add("tb_maomao88", o.at(8, "10:21:00"), o.at(8, "10:21:35"), every_mode(o.converts(8, "阿杰")),
          ("transfer_credit",), item="羊毛大衣", quantity=1)


def two_agents(o: Orders) -> None:
    # 小雅 answers at 10:05:14 and 10:07:10, 阿杰 at 15:40:22. The order (12:30, paid 12:30:50) falls
    # between them: 小雅 answered last before it; 阿杰's later inquiry gets an assist, not the credit.
    o.add("xiaolu_2017", o.at(0, "12:30:00"), o.at(0, "12:30:50"), every_mode(o.converts(0, "小雅")),
          ("two_agents",), item="高腰牛仔裤", quantity=1)
    # Back on day 3 for a hoodie with 小鹿 (20:10:19, 20:11:41); day 0's window closed on day 2.
    o.add("xiaolu_2017", o.at(3, "20:14:00"), o.at(3, "20:14:30"), every_mode(o.converts(3, "小鹿")),
          ("repeat_buyer",), item="连帽卫衣", quantity=1)


def paid_day3(o: Orders) -> None:
    # 小雅 answers at 08:31:10 on day 1: the window runs to day 3 08:31:10. Created on day 2, paid on day 3
    # at 19:30 - after the window, still inside the week.
    o.add("tb_yeye03", o.at(2, "21:00:00"), o.at(3, "19:30:00"), {
        "order": o.converts(1, "小雅"),
        "paid": o.SILENT,  # its payment lies in no window
        "order_then_paid": o.converts(1, "小雅"),
    }, ("paid_day3",), item="加厚羽绒服", quantity=1)


def paid_after_week(o: Orders) -> None:
    # Saturday: 小满 answers at 00:18:12 and 00:20:15, 小雅 at 08:45:50; the window runs to Monday 00:18:12.
    # Created Sunday 21:30, paid Monday 00:10: inside the window, after the inquiry's week.
    created = o.at(5, "21:30:00") + dt.timedelta(days=1)
    o.add("yoyo_sleepy", created, created + dt.timedelta(hours=2, minutes=40), {
        "order": o.converts(5, "小雅"),
        "paid": o.converts(5, "小雅"),
        "order_then_paid": o.held(5),
    }, ("paid_after_week",), item="阔腿西装裤", quantity=1)


def paid_at_week_end(o: Orders) -> None:
    # Sunday: 小满 answers at 00:40:00, 小雅 at 08:30:45. Paid at 23:59:59, the week's last second.
    o.add("momo_night", o.at(6, "22:00:00"), o.at(6, "23:59:59"), every_mode(o.converts(6, "小雅")),
          ("paid_at_week_end", "two_agents"), item="百褶半身裙", quantity=1)


def closed_unpaid(o: Orders) -> None:
    # 阿杰 answers at 15:30:10 and 16:00:40; the order is never paid: an ordering buyer, not a paying one.
    o.add("peach_momo", o.at(4, "16:05:00"), None,
          o.unpaid(4),
          ("closed_unpaid",), item="百褶半身裙", quantity=1, close_reason="超时未付款")


def refunded(o: Orders) -> None:
    # 小雅 answers at 13:20:18, 13:30:00 and 14:00:25. Paid, then refunded in full: it still converts.
    o.add("orange_2046", o.at(4, "14:10:00"), o.at(4, "14:10:40"), every_mode(o.converts(4, "小雅")),
          ("refunded",), item="摇粒绒外套", quantity=1, refund="full")
    # 阿杰 answers at 15:02:35, 15:03:30 and 15:08:30. A partial refund on a completed order.
    o.add("tb8812_77", o.at(2, "15:12:00"), o.at(2, "15:12:30"), every_mode(o.converts(2, "阿杰")),
          ("refunded",), item="冲锋衣", quantity=1, refund="30")


def multi_order(o: Orders) -> None:
    # 阿杰 answers at 08:30:20 and 08:31:12. Two paid orders in the window add up in sales; an order
    # abandoned in between (closed unpaid) adds nothing.
    o.add("kiki_0721", o.at(3, "08:33:00"), o.at(3, "08:33:20"), every_mode(o.converts(3, "阿杰")),
          ("multi_order",), item="加厚羽绒服", quantity=1)
    o.add("kiki_0721", o.at(3, "13:35:00"), None,
          o.unpaid(3),
          ("multi_order", "closed_unpaid"), item="连帽卫衣", quantity=1, close_reason="买家不想买了")
    o.add("kiki_0721", o.at(3, "13:40:00"), o.at(3, "13:41:00"), every_mode(o.converts(3, "阿杰")),
          ("multi_order",), item="连帽卫衣", quantity=2)


def other_shop(o: Orders) -> None:
    # tom_cat_1988 chatted with the main shop (小满, day 5 evening) and buys at the small shop, where the
    # nick never chatted: it converts nothing there, and is a silent order of that shop.
    o.add("tom_cat_1988", o.at(5, "21:40:00"), o.at(5, "21:40:30"), every_mode(o.SILENT),
          ("other_shop",), shop_name=SMALL_SHOP, item="婴儿连体衣", quantity=1)


def window_edge(o: Orders) -> None:
    # 小雅 answers at 14:20:12 on day 9; the window is half-open, so an order at exactly + 48 h is outside.
    created = o.at(9, "14:20:12") + dt.timedelta(days=2)
    o.add("coco_zhang", created, created + dt.timedelta(seconds=48), every_mode(o.SILENT),
          ("window_edge",), item="针织开衫", quantity=1)


def ordered_before_chat(o: Orders) -> None:
    # Created at 10:01:30, before the buyer asks (小雅 answers at 10:05:18 and 10:06:22), paid at 10:08.
    # Only payment time falls in the window.
    o.add("dabai_0503", o.at(10, "10:01:30"), o.at(10, "10:08:00"), {
        "order": o.SILENT,
        "paid": o.converts(10, "小雅"),
        "order_then_paid": o.SILENT,
    }, ("ordered_before_chat",), item="高腰牛仔裤", quantity=1)


def consecutive_days(o: Orders) -> None:
    # 小鹿 answers on day 1 (20:05:21, 20:07:00), 阿杰 on day 2 (11:00:18, 11:01:35). The order at 11:03
    # lies in both windows and converts only the later one: 阿杰's. 小鹿's inquiry gets nothing.
    o.add("river_wu", o.at(2, "11:03:00"), o.at(2, "11:03:40"), every_mode(o.converts(2, "阿杰")),
          ("consecutive_days",), item="摇粒绒外套", quantity=1)
    # 小满 answers on day 8 at 19:10:26. The buyer orders on day 9 at 10:20 and asks 小雅 only at 14:30:
    # the order is in day 8's window alone, so 小满 is credited.
    o.add("dudu_2023", o.at(9, "10:20:00"), o.at(9, "10:20:30"), every_mode(o.converts(8, "小满")),
          ("consecutive_days", "ordered_before_second_chat"), item="纯棉衬衫", quantity=1)
    if o.p.n_days >= 14:
        # 小满 answers on Sunday 23:40:20 (W46) and Monday 00:05:30 (W47): the W47 inquiry converts.
        o.add("night_owl_z", o.at(7, "00:12:00"), o.at(7, "00:12:40"), every_mode(o.converts(7, "小满")),
              ("consecutive_days", "week_boundary"), item="连帽卫衣", quantity=1)


def repeat_buyers(o: Orders) -> None:
    # 小鹿 answers on day 8 (19:30:16 - 19:32:49); 阿杰 on day 10 (09:40:33, 09:42:07). Day 8's window
    # still holds the second order, but the later inquiry takes it.
    o.add("jenny_w", o.at(8, "19:36:00"), o.at(8, "19:36:30"), every_mode(o.converts(8, "小鹿")),
          ("repeat_buyer",), item="纯棉衬衫", quantity=1)
    o.add("jenny_w", o.at(10, "09:45:00"), o.at(10, "09:45:20"), every_mode(o.converts(10, "阿杰")),
          ("repeat_buyer", "consecutive_days"), item="纯棉衬衫", quantity=1)
    # 小桃 answers at 14:10:22 and 14:12:10 on day 3.
    o.add("yunduo_mama", o.at(3, "14:15:00"), o.at(3, "14:15:30"), every_mode(o.converts(3, "小桃", SMALL_SHOP)),
          ("repeat_buyer",), shop_name=SMALL_SHOP, item="儿童羽绒服", quantity=1)


def silent_auto_only(o: Orders) -> None:
    # guest_lala only ever got an auto-reply (day 6, 22:10:01): not an inquiry, so the paid order is silent.
    o.add("guest_lala", o.at(6, "22:40:00"), o.at(6, "22:40:30"), every_mode(o.SILENT),
          ("silent_auto_only",), item="连帽卫衣", quantity=1)


def payment_reminders(o: Orders) -> None:
    # 小雅 answers at 10:00:20 and 10:02:15; the order waits, 小雅 reminds at 10:15:00, paid at 10:21.
    o.add("dingding_520", o.at(2, "10:02:40"), o.at(2, "10:21:00"), every_mode(o.converts(2, "小雅")),
          ("reminded_then_paid",), item="加厚羽绒服", quantity=1)
    # 阿杰 answers at 11:00:18 and reminds at 11:20:00; never paid, closed after three days.
    o.add("haha_cat9", o.at(3, "11:03:00"), None,
          o.unpaid(3),
          ("reminded_closed_unpaid", "closed_unpaid"), item="连帽卫衣", quantity=1, close_reason="超时未付款")
    # 小雅 answers at 11:00:15 and reminds at 11:20:00, 小满 reminds at 18:00:00 and answers at 18:05:10;
    # paid at 18:06. By creation time 小雅 answered last before it, by payment time 小满.
    o.add("panda_mia", o.at(4, "11:05:00"), o.at(4, "18:06:00"), {
        "order": o.converts(4, "小雅"),
        "paid": o.converts(4, "小满"),
        "order_then_paid": o.converts(4, "小雅"),
    }, ("double_chased",), item="高腰牛仔裤", quantity=1)
    # 小鹿 answers at 20:00:20; reminded exactly 72 h after creation (20:05:00 three days on), never paid.
    o.add("lulu_2088", o.at(7, "20:05:00"), None,
          o.unpaid(7),
          ("reminder_at_deadline", "closed_unpaid"), item="纯棉衬衫", quantity=1, close_reason="超时未付款")
    # Paid in the second it was created: it never waited for payment, so it has no payment_reminders row.
    # The buyer never chatted: a silent order.
    o.add("fast_pay_01", o.at(6, "14:00:00"), o.at(6, "14:00:00"), every_mode(o.SILENT),
          ("paid_at_creation",), item="连帽卫衣", quantity=1)


PLANTED_ORDERS: tuple[Callable[[Orders], None], ...] = (
    transfer_credit, two_agents, paid_day3, paid_after_week, paid_at_week_end, closed_unpaid, refunded,
    multi_order, other_shop, window_edge, ordered_before_chat, consecutive_days, repeat_buyers, silent_auto_only,
    payment_reminders,
)


def plant_orders(book: OrderBook, period: Period) -> None:
    o = Orders(book, period)
    for case in PLANTED_ORDERS:
        case(o)
