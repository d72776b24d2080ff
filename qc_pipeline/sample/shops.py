"""The sample's shops and their customer-service teams (the roster)."""
from __future__ import annotations

from qc_pipeline.sample.model import Agent, Shop
from qc_pipeline.sample.texts import APPAREL_ITEMS, BABY_ITEMS, BABY_TOPICS, PRESALE_TOPICS

MAIN_SHOP = "星河服饰旗舰店"
SMALL_SHOP = "云朵母婴专营店"


def _agent(shop: str, name: str, team: str, role: str, shift: str, first: float, follow: float,
           conversion: float = 0.0) -> Agent:
    return Agent(f"{shop}:{name}", name, team, role, shift, first, follow, conversion)


SHOPS = (
    Shop(
        MAIN_SHOP,
        "58213347",
        (
            # Early agents take conversations that open before 16:30, late agents the rest. Conversion
            # shares sit mid-band (excellent, pass, good, fail) so each agent's band is clear-cut.
            _agent(MAIN_SHOP, "小雅", "售前一组", "presale", "early", 11, 35, 0.74),
            _agent(MAIN_SHOP, "阿杰", "售前一组", "presale", "early", 17, 55, 0.55),
            _agent(MAIN_SHOP, "小鹿", "售前二组", "presale", "late", 14, 45, 0.65),
            _agent(MAIN_SHOP, "小满", "售前二组", "presale", "late", 26, 95, 0.38),
            _agent(MAIN_SHOP, "小周", "售后组", "aftersale", "early", 80, 60),
            _agent(MAIN_SHOP, "阿宁", "售后组", "aftersale", "late", 140, 85),
        ),
        APPAREL_ITEMS,
        PRESALE_TOPICS,
    ),
    Shop(
        SMALL_SHOP,
        "60917752",
        (
            _agent(SMALL_SHOP, "小桃", "母婴客服", "presale", "all", 19, 60, 0.56),
            _agent(SMALL_SHOP, "小林", "母婴客服", "aftersale", "all", 110, 70),
        ),
        BABY_ITEMS,
        BABY_TOPICS,
    ),
)


def shop(name: str) -> Shop:
    return next(s for s in SHOPS if s.name == name)


def agent_roles() -> dict[str, str]:
    return {a.account: a.role for s in SHOPS for a in s.agents}
