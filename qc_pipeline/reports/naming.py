"""File and sheet names from agent sub-accounts (店铺名:客服名), which may hold any character, and the key
that tells one shop's agent from another's."""
from __future__ import annotations

import hashlib
import re
import unicodedata

import polars as pl

# Characters Windows forbids in file names, plus controls; ':' separates shop and agent.
_FILE_BAD = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
# ext4 allows 255 bytes per name; a Chinese character takes three in UTF-8.
_MAX_FILE_BYTES = 180

_SHEET_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")
SHEET_MAX = 31


def account(shop: str | None, agent: str | None) -> str | None:
    """The reports' key of an agent: one per (shop, agent) of ``agent_week``. The sub-account as exported
    when it already names its shop (店铺名:客服名); a bare name (小鹿) is qualified by its shop, since two
    shops of one warehouse may each have a 小鹿. Pages show the agent as exported; the key names files,
    sheets and links."""
    if shop is None or agent is None or agent.startswith(f"{shop}:"):
        return agent
    return f"{shop}:{agent}"


def shown_agent(shop: str | None, agent: str) -> str:
    """The agent as pages show it: as exported, followed by its shop when the sub-account does not name it
    (小鹿（甲店）), so two shops' 小鹿 can be told apart in one table."""
    return agent if account(shop, agent) == agent else f"{agent}（{shop}）"


def account_sql(shop: str = "shop", agent: str = "agent") -> str:
    """``account`` in DuckDB SQL, over the given column expressions (NULL where the agent is)."""
    return (f"CASE WHEN {shop} IS NULL OR starts_with({agent}, {shop} || ':') THEN {agent} "
            f"ELSE {shop} || ':' || {agent} END")


def account_expr(shop: str = "shop", agent: str = "agent") -> pl.Expr:
    """``account`` as a polars expression (null where the agent is)."""
    s, a = pl.col(shop), pl.col(agent)
    return (pl.when(s.is_null() | a.str.starts_with(s + ":")).then(a)
            .otherwise(pl.concat_str([s, pl.lit(":"), a])))


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:6]


def _clip_bytes(text: str, limit: int) -> str:
    while len(text.encode("utf-8")) > limit:
        text = text[:-1]
    return text


def file_stem(agent: str) -> str:
    stem = unicodedata.normalize("NFC", agent)
    stem = _FILE_BAD.sub("_", stem).strip(" .")
    stem = re.sub(r"\s+", " ", stem)
    if not stem:
        stem = "agent"
    if stem.startswith("."):
        stem = "_" + stem
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    return _clip_bytes(stem, _MAX_FILE_BYTES)


def unique_names(items: list[str], make, limit: int, reserved: set[str] = frozenset()) -> dict[str, str]:
    """A name per item; names that clash (case-insensitively, as on Windows and macOS) get a short hash
    of the original, so every item keeps the same name whatever else is in the week."""
    base = {item: make(item) for item in items}
    counts: dict[str, int] = {}
    for name in base.values():
        counts[name.casefold()] = counts.get(name.casefold(), 0) + 1
    taken = {r.casefold() for r in reserved}
    out = {}
    for item in sorted(items):
        name = base[item]
        if counts[name.casefold()] > 1 or name.casefold() in taken:
            suffix = "~" + _short_hash(item)
            name = _clip(name, limit - len(suffix)) + suffix
        out[item] = name
    return out


def _clip(text: str, limit: int) -> str:
    return text[:limit]


def agent_file_names(agents: list[str]) -> dict[str, str]:
    """agent -> "星河服饰旗舰店_小雅.html": readable, keeps the Chinese, unique within the folder."""
    stems = unique_names(agents, file_stem, limit=60)
    return {agent: _clip_bytes(stem, _MAX_FILE_BYTES) + ".html" for agent, stem in stems.items()}


def sheet_base(agent: str, with_shop: bool = True) -> str:
    shop, sep, name = agent.rpartition(":")
    # Tabs are narrow: lead with the agent's own name so clipping takes the shop, not the person.
    label = (f"{name}_{shop}" if with_shop else name) if sep and name else agent
    label = _SHEET_BAD.sub("_", label).strip("' ")
    # Excel refuses a sheet named History and names starting or ending with an apostrophe.
    if not label or label.casefold() == "history":
        label = f"_{label}"
    return label[:SHEET_MAX].rstrip("'")


def agent_sheet_names(agents: list[str], reserved: set[str]) -> dict[str, str]:
    shops = {a.rpartition(":")[0] for a in agents}
    with_shop = len(shops) > 1
    return unique_names(agents, lambda a: sheet_base(a, with_shop), limit=SHEET_MAX, reserved=reserved)
