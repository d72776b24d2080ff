"""The agent roster: sub-account, display name, team and role (presale / aftersale / supervisor)."""
from __future__ import annotations

import polars as pl

from qc_pipeline.ingest.columns import Layout
from qc_pipeline.ingest.model import QUARANTINE_SCHEMA, ROSTER_SCHEMA, ParsedFile
from qc_pipeline.ingest.source import Source
from qc_pipeline.ingest.tables import LINE, PROBLEM, RAW, Table, filled_raw

ROLE_ALIASES = {
    "presale": "presale", "pre-sale": "presale", "售前": "presale",
    "aftersale": "aftersale", "after-sale": "aftersale", "售后": "aftersale",
    "supervisor": "supervisor", "主管": "supervisor", "组长": "supervisor",
}


def _stage(table: Table, columns: dict[str, str]) -> pl.DataFrame:
    def pick(field: str) -> pl.Expr:
        value = pl.col(columns[field]).cast(pl.Utf8).str.strip_chars() if field in columns else pl.lit(None, pl.Utf8)
        return pl.when(value == "").then(None).otherwise(value).alias(field)

    return table.frame.select([pick(f) for f in ("agent", "name", "team", "role")] + [pl.col(LINE), pl.col(PROBLEM), pl.col(RAW)])


def roster_file(source: Source, fmt: str, tables: list[tuple[Table, Layout]], config, warnings: list[str]) -> ParsedFile:
    stage = pl.concat([_stage(t, layout.columns) for t, layout in tables], how="diagonal_relaxed")
    role = pl.col("role").str.to_lowercase().replace_strict(ROLE_ALIASES, default=None, return_dtype=pl.Utf8)
    stage = stage.with_columns(
        pl.when(pl.col("role").is_null()).then(pl.lit(config.default_role)).otherwise(role).alias("_role")
    )
    reason = pl.coalesce(
        pl.col(PROBLEM),
        pl.when(pl.col("agent").is_null()).then(pl.lit("empty agent")),
        pl.when(pl.col("_role").is_null()).then(pl.lit("unknown role '") + pl.col("role") + pl.lit("'")),
    )
    stage = stage.with_columns(reason.alias("_reason"))
    good = stage.filter(pl.col("_reason").is_null())
    bad = stage.filter(pl.col("_reason").is_not_null())
    roster = good.select(
        "agent", "name", "team", pl.col("_role").alias("role"), pl.lit(source.name).alias("source_path")
    ).cast(ROSTER_SCHEMA)
    quarantine = bad.select(
        pl.lit(source.name).alias("source_path"), pl.col(LINE).alias("source_line"),
        pl.col("_reason").alias("reason"), pl.col(RAW).alias("raw"),
    ).cast(QUARANTINE_SCHEMA)
    raw_of = tables[0][0].raw_of if len(tables) == 1 else None
    quarantine = quarantine.with_columns(filled_raw(quarantine["raw"], quarantine["source_line"], raw_of).alias("raw"))
    return ParsedFile(
        path=source.name, sha256=source.sha256, kind="roster", format=fmt, encoding=source.encoding,
        rows_read=len(roster) + len(quarantine), roster=roster, quarantine=quarantine, warnings=warnings,
    )
