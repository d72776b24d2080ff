"""Conversion bands (不合格 / 合格 / 良好 / 优秀) from the shop standard, compared on the exact ratio."""
from __future__ import annotations

from fractions import Fraction

INSUFFICIENT = "insufficient_data"


def conversion_band(paying_buyers: int, inquiries: int, bands: list[dict], min_inquiries: int) -> str | None:
    """The highest band whose threshold the exact ratio reaches (a rate on a boundary takes the higher band).

    Compared as fractions, never rounded percentages: 119/200 = 59.5 % is pass, not good.
    """
    if inquiries <= 0:
        return None
    if inquiries < min_inquiries:
        return INSUFFICIENT
    rate = Fraction(int(paying_buyers), int(inquiries))
    chosen = bands[0]["name"]
    for band in bands:
        if rate * 100 >= Fraction(str(band["min_pct"])):
            chosen = band["name"]
    return chosen


def band_labels(bands: list[dict]) -> dict[str, str]:
    labels = {b["name"]: b.get("label", b["name"]) for b in bands}
    labels[INSUFFICIENT] = "数据不足"
    return labels
