"""The warehouse tables. Their names and columns are a public contract: analysts query them with SQL.

Add columns freely; rename only with a migration (see ``MIGRATIONS``).
"""
from __future__ import annotations

SCHEMA_VERSION = 1

# Tables loaded from input files. They are appended to and never rebuilt.
SOURCE_TABLES = {
    "ingested_files": """
        CREATE TABLE IF NOT EXISTS ingested_files (
            path VARCHAR NOT NULL,
            sha256 VARCHAR NOT NULL,
            format VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,             -- chat | orders | roster
            encoding VARCHAR,
            rows_read BIGINT NOT NULL,
            rows_loaded BIGINT NOT NULL,
            rows_duplicate BIGINT NOT NULL,
            rows_quarantined BIGINT NOT NULL,
            noise_lines BIGINT NOT NULL DEFAULT 0,  -- recognised non-message lines (已读, 撤回, transfers, cards)
            ingested_at TIMESTAMP NOT NULL
        )""",
    "messages": """
        CREATE TABLE IF NOT EXISTS messages (
            msg_id VARCHAR PRIMARY KEY,
            shop VARCHAR NOT NULL,
            buyer VARCHAR NOT NULL,
            agent VARCHAR,
            role VARCHAR NOT NULL,             -- buyer | agent | auto | system
            sent_at TIMESTAMP NOT NULL,        -- shop-local time
            text VARCHAR NOT NULL,
            source_path VARCHAR NOT NULL,
            source_line BIGINT NOT NULL
        )""",
    "quarantine": """
        CREATE TABLE IF NOT EXISTS quarantine (
            source_path VARCHAR NOT NULL,
            source_line BIGINT,
            reason VARCHAR NOT NULL,
            raw VARCHAR,
            sha256 VARCHAR                     -- of the file, so a re-ingest does not repeat the row
        )""",
    "orders": """
        CREATE TABLE IF NOT EXISTS orders (
            order_id VARCHAR PRIMARY KEY,
            shop VARCHAR,
            buyer VARCHAR,
            created_at TIMESTAMP,
            paid_at TIMESTAMP,
            amount DECIMAL(18, 2) NOT NULL,    -- 买家实际支付金额
            refund_amount DECIMAL(18, 2) NOT NULL,
            status VARCHAR,
            source_path VARCHAR NOT NULL
        )""",
    "agents": """
        CREATE TABLE IF NOT EXISTS agents (
            agent VARCHAR PRIMARY KEY,         -- sub-account exactly as exported (店铺名:客服名)
            name VARCHAR,
            team VARCHAR,
            role VARCHAR NOT NULL,             -- presale | aftersale | supervisor
            source_path VARCHAR
        )""",
    "meta": """
        CREATE TABLE IF NOT EXISTS meta (
            key VARCHAR PRIMARY KEY,
            value VARCHAR
        )""",
}

# Tables derived from messages/orders; rebuilt whole on every run so results never depend on
# the order files were ingested in.
DERIVED_TABLES = {
    "sessions": """
        CREATE TABLE IF NOT EXISTS sessions (
            session_id VARCHAR PRIMARY KEY,
            shop VARCHAR NOT NULL,
            buyer VARCHAR NOT NULL,
            started_at TIMESTAMP NOT NULL,
            ended_at TIMESTAMP NOT NULL,
            primary_agent VARCHAR,
            agents VARCHAR[],
            n_buyer_msgs INTEGER NOT NULL,
            n_agent_msgs INTEGER NOT NULL
        )""",
    "rounds": """
        CREATE TABLE IF NOT EXISTS rounds (
            session_id VARCHAR NOT NULL,
            shop VARCHAR NOT NULL,
            buyer VARCHAR NOT NULL,
            agent VARCHAR,
            round_no INTEGER NOT NULL,
            is_first BOOLEAN NOT NULL,
            started_at TIMESTAMP NOT NULL,
            clock_start TIMESTAMP NOT NULL,
            replied_at TIMESTAMP,
            wait_seconds DOUBLE,
            target_seconds INTEGER NOT NULL,
            met_target BOOLEAN NOT NULL,
            unanswered BOOLEAN NOT NULL,
            agent_role VARCHAR,
            first_msg_id VARCHAR,
            reply_msg_id VARCHAR,
            week VARCHAR NOT NULL
        )""",
    "agent_week": """
        CREATE TABLE IF NOT EXISTS agent_week (
            week VARCHAR NOT NULL,
            shop VARCHAR NOT NULL,
            agent VARCHAR NOT NULL,
            agent_name VARCHAR,
            agent_role VARCHAR,
            sessions BIGINT,
            rounds BIGINT,
            first_rounds BIGINT,
            first_median_s DOUBLE,
            first_p90_s DOUBLE,
            first_within_target_pct DOUBLE,
            follow_median_s DOUBLE,
            follow_p90_s DOUBLE,
            follow_within_target_pct DOUBLE,
            unanswered_rounds BIGINT,
            avg_wait_capped_s DOUBLE
        )""",
}
