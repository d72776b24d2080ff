"""The values a reviewer may enter, as the workbook's drop-downs offer them, and the other spellings the
import accepts (a reviewer types Chinese)."""
from __future__ import annotations

FLAG_VERDICTS = ("confirmed", "not_violation")
SESSION_VERDICTS = ("confirmed", "missed_violation")
VERDICTS = ("confirmed", "not_violation", "missed_violation")
DECISIONS = ("upheld", "overturned")

SYNONYMS = {
    "confirmed": ("confirmed", "确认", "确认违规", "违规", "正确", "无漏检"),
    "not_violation": ("not_violation", "not a violation", "误判", "非违规", "不是违规", "不违规"),
    "missed_violation": ("missed_violation", "missed violation", "漏检", "漏检违规"),
    "upheld": ("upheld", "维持", "维持原判", "驳回"),
    "overturned": ("overturned", "撤销", "推翻", "申诉成功"),
}
_LOOKUP = {spelling.casefold(): value for value, spellings in SYNONYMS.items() for spelling in spellings}


def read_value(text: str) -> str | None:
    """The canonical value of what a reviewer entered, or None for anything else."""
    return _LOOKUP.get(" ".join(text.split()).casefold().replace(" ", "_")) or _LOOKUP.get(" ".join(text.split()).casefold())
