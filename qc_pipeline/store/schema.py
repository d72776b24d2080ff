"""The warehouse tables. Their names and columns are a public contract: analysts query them with SQL.

Add columns freely; rename only with a migration (see ``MIGRATIONS``).
"""
from __future__ import annotations

# 5: the review loop's tables (reviews, adjusted_scores, adjusted_agent_week), kept across rebuilds.
# 6: messages.source_msg_id (exporter ids re-keyed to content ids), id_clashes, ingested_files.id_clashes,
#    order_versions (every export's version of an order; orders holds the furthest-forward one).
#    And the service-standard clauses: tables promises and payment_reminders, agent_week's STANDARD_COLUMNS.
#    New derived tables are created, and agent_week, whose columns changed, is recreated empty, which
#    marks every partition stale (store/warehouse.py `_create_or_migrate`): the next run rebuilds them.
# 7: stale_auto_replies (auto-reply hygiene); partitions are rebuilt so that it fills.
#    And shift handovers: tables handovers and shift_week, agent_week's HANDOVER_COLUMNS (agent_week is
#    recreated empty, so every partition is rebuilt on the next run).
#    And agent_month (per calendar month, shop and agent; recomputed with the weeks it overlaps).
# 8: orders.remark and order_versions.remark (订单备注), table order_remarks and agent_week's remark columns
#    (order remarks, docs/metrics.md "Order remarks"). agent_week is recreated empty, so every partition is
#    rebuilt; orders loaded before have no remark until their export is loaded again.
SCHEMA_VERSION = 8

# How a flag (alias f) finds its message (alias m): by its id, and by the time the flag copies from it
# (conductor/stages.py flags_table), so that DuckDB reads only the messages within the flags' time range
# rather than every message the warehouse holds (join filter pushdown).
FLAG_MESSAGE_JOIN = "m.msg_id = f.msg_id AND m.sent_at = f.sent_at"

# One agent_week column per flag category (the shipped rule set's categories).
FLAG_CATEGORIES = (
    "extreme_word", "arguing", "abuse", "hedging", "flat_refusal", "delivery_promise", "off_platform", "slang",
)

# The seller-tool KPIs (docs/metrics.md "Seller-tool KPIs"), shared by agent_week and agent_month.
KPI_COLUMNS = """consulted_buyers BIGINT,           -- 咨询人数
            received_buyers BIGINT,            -- 接待人数
            reply_rate_pct DOUBLE,             -- 回复率, received / consulted, 0-100
            buyer_msgs BIGINT,
            agent_msgs BIGINT,
            answer_ratio DOUBLE,               -- 答问比, agent_msgs / buyer_msgs
            avg_response_s DOUBLE,             -- 平均响应时长: mean capped wait of answered rounds
            paid_orders BIGINT,
            refund_rate_pct DOUBLE,            -- 退款率, refund_orders / paid_orders, 0-100
            items_sold BIGINT,
            items_per_buyer DOUBLE,            -- 客件数, items_sold / paying_buyers
            final_paid_buyers BIGINT,
            final_paid_pct DOUBLE,             -- 询单→最终付款成功率, 0-100
            next_day_paid_buyers BIGINT,
            next_day_paid_pct DOUBLE,          -- 询单→次日付款成功率, 0-100
            aftersale_sessions BIGINT,         -- after-sale agents only (售后)
            refund_topic_sessions BIGINT,
            aftersale_first_rounds BIGINT,
            aftersale_first_5min_pct DOUBLE,   -- first rounds answered within kpis.aftersale_first_reply_seconds
            reopened_cases BIGINT              -- sessions the same buyer reopened within kpis.reopen_hours"""

# The service-standard clauses' figures (docs/metrics.md "Service-standard clauses"), columns of agent_week.
STANDARD_COLUMNS = """promises BIGINT,                   -- look-up promises the agent made (week of the promise)
            promises_kept BIGINT,              -- answered substantively within standard.promise_due_hours
            promises_kept_pct DOUBLE,          -- promises_kept / promises, 0-100
            promise_keep_median_s DOUBLE,      -- median wall-clock seconds to the answer, kept and late ones
            reminders_sent BIGINT,             -- orders this agent reminded first (week of the order's creation)
            reminded_paid BIGINT,              -- of those, paid after the reminder (催付成功)
            reminder_success_pct DOUBLE,       -- 催付成功率, reminded_paid / reminders_sent, 0-100
            reminder_recovered_amount DECIMAL(18, 2),  -- paid amount of those orders
            remarks_written BIGINT,            -- order remarks naming this agent (week of the order's creation)
            remarks_malformed BIGINT,          -- of those, not 内容—客服名—时间
            remarks_overwritten BIGINT         -- other agents' remarks this agent's later remark replaced"""

# Shift handovers (docs/metrics.md "Shift handovers"), columns of agent_week.
HANDOVER_COLUMNS = """handovers_left BIGINT,             -- rounds still waiting at the end of the agent's shift
            handovers_answered BIGINT,         -- handed-over rounds this agent answered (the incoming shift)
            handover_answer_median_s DOUBLE    -- their median on-duty seconds from the shift's start"""

# The figures of agent_week and agent_month, one declaration for both (the month computes them from its own
# rows: medians over the month's rounds, rates from its counts; docs/metrics.md "Monthly agent figures").
AGENT_PERIOD_COLUMNS = f"""agent_name VARCHAR,
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
            avg_wait_capped_s DOUBLE,
            flags_total BIGINT,
            flags_critical BIGINT,
            flags_major BIGINT,
            flags_minor BIGINT,
            {", ".join(f"flags_{c} BIGINT" for c in FLAG_CATEGORIES)},
            inquiries BIGINT,
            ordering_buyers BIGINT,
            paying_buyers BIGINT,
            conversion_rate DOUBLE,            -- fraction 0-1, paying buyers / inquiries
            conversion_band VARCHAR,           -- fail | pass | good | excellent | insufficient_data
            sales_amount DECIMAL(18, 2),
            aov DOUBLE,
            refund_amount DECIMAL(18, 2),
            refund_orders BIGINT,
            assists BIGINT,
            scored_sessions BIGINT,
            qc_score_avg DOUBLE,
            auto_failed_sessions BIGINT,
            violation_sessions BIGINT,         -- sessions with at least one violation by this agent
            violation_session_pct DOUBLE,      -- violation_sessions / sessions, 0-100
            {KPI_COLUMNS}
            , {STANDARD_COLUMNS}
            , {HANDOVER_COLUMNS}"""

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
            ingested_at TIMESTAMP NOT NULL,
            id_clashes BIGINT DEFAULT 0        -- messages it added whose exporter id another message holds
        )""",
    "messages": """
        CREATE TABLE IF NOT EXISTS messages (
            -- Unique by construction (ingest inserts only ids not yet present); no index, because at
            -- a million rows maintaining one costs several times the insert itself.
            msg_id VARCHAR NOT NULL,
            shop VARCHAR NOT NULL,
            buyer VARCHAR NOT NULL,
            agent VARCHAR,
            role VARCHAR NOT NULL,             -- buyer | agent | auto | system
            sent_at TIMESTAMP NOT NULL,        -- shop-local time
            text VARCHAR NOT NULL,
            source_path VARCHAR NOT NULL,
            source_line BIGINT NOT NULL,
            source_msg_id VARCHAR              -- the exporter's own id, as given (NULL when none): an
                                               -- attribute, not the identity (see docs/formats.md)
        )""",
    # A message that arrived with an exporter id (source_msg_id) which another message of its shop
    # already holds: one row per such message, naming the first holder (docs/formats.md).
    "id_clashes": """
        CREATE TABLE IF NOT EXISTS id_clashes (
            shop VARCHAR NOT NULL,
            source_msg_id VARCHAR NOT NULL,
            msg_id VARCHAR NOT NULL,           -- the later message given that id
            source_path VARCHAR NOT NULL,
            source_line BIGINT NOT NULL,
            first_msg_id VARCHAR NOT NULL,     -- the message that held the id first
            first_source_path VARCHAR NOT NULL,
            first_source_line BIGINT NOT NULL
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
            source_path VARCHAR NOT NULL,
            items BIGINT,                      -- 宝贝总数量 (NULL when the export has no such column)
            remark VARCHAR                     -- 订单备注 as exported, one remark per line (NULL when empty;
                                               -- for orders loaded before schema 8, until loaded again)
        )""",
    # Every export's version of an order (one row per order and file content); `orders` holds the
    # furthest-forward one (qc_pipeline/ingest/order_states.py, docs/formats.md).
    "order_versions": """
        CREATE TABLE IF NOT EXISTS order_versions (
            order_id VARCHAR NOT NULL,
            shop VARCHAR,
            buyer VARCHAR,
            created_at TIMESTAMP,
            paid_at TIMESTAMP,
            amount DECIMAL(18, 2) NOT NULL,
            refund_amount DECIMAL(18, 2) NOT NULL,
            status VARCHAR,
            source_path VARCHAR NOT NULL,
            items BIGINT,
            remark VARCHAR,                    -- 订单备注 of this export (order_remarks compares the versions)
            state VARCHAR NOT NULL,            -- created | paid | shipped | success | closed | refunded
            state_rank INTEGER NOT NULL,       -- how far forward the state is (order_states.toml)
            sha256 VARCHAR,                    -- of the export file (NULL: carried over from schema 5)
            ingested_at TIMESTAMP
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
    # The trainers' case library (qc_pipeline/cases, docs/cases.md). Kept across rebuilds: a case picked
    # one week is not picked again another week.
    "cases": """
        CREATE TABLE IF NOT EXISTS cases (
            week VARCHAR NOT NULL,
            case_id VARCHAR NOT NULL,          -- <week>-G01 (good) / <week>-B01 (bad), by rank
            session_id VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,             -- good | bad
            category VARCHAR NOT NULL,         -- presale_converted | aftersale_resolved | critical_flag | arguing
                                               -- | unanswered | slow_lost_sale
            matched VARCHAR[],                 -- every category of its kind the session meets
            agent VARCHAR,
            shop VARCHAR,
            buyer VARCHAR,
            started_at TIMESTAMP,
            score DOUBLE,                      -- the session's QC score
            rank INTEGER NOT NULL,             -- 1 = first within (week, kind)
            rank_score DOUBLE NOT NULL,        -- sum of weight x term
            rank_terms VARCHAR,                -- JSON [[term, value, weight], ...], largest contribution first
            reason VARCHAR NOT NULL,           -- why it was selected (Chinese), ranking included
            details VARCHAR,                   -- JSON facts the reason is written from
            topic VARCHAR,
            tags VARCHAR[],                    -- topic:..., agent:..., category:...
            ordered BOOLEAN,
            order_id VARCHAR,
            order_amount DECIMAL(18, 2),
            refund_amount DECIMAL(18, 2),
            criteria_version VARCHAR,
            selected_at TIMESTAMP NOT NULL
        )""",
}

# Bookkeeping of the (shop, ISO week) partitions the derived tables are computed in: which settings,
# rule set and scorecard built each one, and whether new input has made it stale (docs/architecture.md).
PARTITIONS_DDL = """
    CREATE TABLE IF NOT EXISTS partitions (
        shop VARCHAR NOT NULL,
        week VARCHAR NOT NULL,
        stale BOOLEAN NOT NULL,            -- input changed since it was built
        config_version VARCHAR,            -- of the settings that apply to this shop; NULL = never built
        rule_version VARCHAR,
        scorecard_version VARCHAR,
        built_at TIMESTAMP,
        PRIMARY KEY (shop, week)
    )"""
SOURCE_TABLES["partitions"] = PARTITIONS_DDL

# The review loop (qc_pipeline/review, docs/review.md): QC specialists' verdicts and agents' appeals, kept
# across rebuilds like the case library, and the scores with the flags appeals overturned taken out
# (recomputed after every import and every rebuild; the machine's own figures stay as they are).
REVIEW_TABLES = {
    "reviews": """
        CREATE TABLE IF NOT EXISTS reviews (
            review_id VARCHAR NOT NULL,        -- <file sha256 prefix>:<sheet>:<row>
            kind VARCHAR NOT NULL,             -- review (a QC specialist's verdict) | appeal (an agent's, decided)
            item VARCHAR NOT NULL,             -- flag | session
            flag_id VARCHAR,                   -- item = flag: F + 16 hex of the flag's message, rule and span
            session_id VARCHAR NOT NULL,
            msg_id VARCHAR,
            rule_id VARCHAR,
            shop VARCHAR,
            week VARCHAR,                      -- the flag's week (the session's, for a session)
            agent VARCHAR,
            stratum VARCHAR,                   -- how the session was sampled: auto_failed | flagged | unflagged
            stratum_sessions BIGINT,           -- sessions of that stratum in its agent-week
            verdict VARCHAR NOT NULL,          -- confirmed | not_violation | missed_violation
            category VARCHAR,                  -- the flag's category; the missed one's for missed_violation
            decision VARCHAR,                  -- appeals: upheld | overturned
            reviewer VARCHAR NOT NULL,         -- who judged it (for an appeal: who decided it)
            appellant VARCHAR,                 -- appeals: the agent who appealed
            comment VARCHAR,
            "at" TIMESTAMP NOT NULL,           -- when it was imported (quoted: a keyword)
            source_path VARCHAR NOT NULL,
            source_sha256 VARCHAR NOT NULL,
            sheet VARCHAR NOT NULL,
            source_row INTEGER NOT NULL        -- 1-based, as the spreadsheet shows it
        )""",
    "adjusted_scores": """
        CREATE TABLE IF NOT EXISTS adjusted_scores (
            -- Only sessions holding a flag an appeal overturned; every other session keeps its score.
            session_id VARCHAR NOT NULL,
            shop VARCHAR,
            week VARCHAR,
            agent VARCHAR,
            buyer VARCHAR,
            score DOUBLE,                      -- the machine's (session_scores.score)
            adjusted_score DOUBLE,             -- without the overturned flags' deductions
            auto_failed BOOLEAN,
            adjusted_auto_failed BOOLEAN,
            compliance DOUBLE,
            adjusted_compliance DOUBLE,
            overturned_flags BIGINT
        )""",
    "adjusted_agent_week": """
        CREATE TABLE IF NOT EXISTS adjusted_agent_week (
            week VARCHAR NOT NULL,
            shop VARCHAR NOT NULL,
            agent VARCHAR NOT NULL,
            qc_score_avg DOUBLE,               -- the machine's (agent_week.qc_score_avg)
            qc_score_adjusted_avg DOUBLE,      -- with adjusted_scores in place of the machine's
            auto_failed_sessions BIGINT,
            auto_failed_adjusted_sessions BIGINT,
            overturned_flags BIGINT            -- flags of this agent-week overturned on appeal
        )""",
}
SOURCE_TABLES.update(REVIEW_TABLES)

# Tables derived from messages/orders, computed per (shop, week) partition: a run recomputes exactly the
# partitions its input changed (plus what depends on them), so results never depend on the order files
# were ingested in.
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
            n_agent_msgs INTEGER NOT NULL,
            week VARCHAR NOT NULL,             -- ISO week of started_at: the session's partition
            refund_topic BOOLEAN,              -- a buyer message matches sessions/refund_topic.toml
            reopened_at TIMESTAMP              -- the buyer's next session, when within kpis.reopen_hours
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
            week VARCHAR NOT NULL,
            buyer_msgs INTEGER,                -- buyer messages of the round (答问比's denominator)
            agent_msgs INTEGER                 -- human messages from its reply to the next round (numerator)
        )""",
    "agent_week": f"""
        CREATE TABLE IF NOT EXISTS agent_week (
            week VARCHAR NOT NULL,
            shop VARCHAR NOT NULL,
            agent VARCHAR NOT NULL,
            {AGENT_PERIOD_COLUMNS}
        )""",
    # agent_week's figures per calendar month (shop-local) instead of ISO week: the rows whose time falls
    # in the month (docs/metrics.md "Monthly agent figures"). Recomputed whenever one of its weeks is.
    "agent_month": f"""
        CREATE TABLE IF NOT EXISTS agent_month (
            month VARCHAR NOT NULL,            -- YYYY-MM
            shop VARCHAR NOT NULL,
            agent VARCHAR NOT NULL,
            {AGENT_PERIOD_COLUMNS}
        )""",
    # agent_week's flag figures in long form, for every category a rule set declares.
    "agent_week_flags": """
        CREATE TABLE IF NOT EXISTS agent_week_flags (
            week VARCHAR NOT NULL,
            shop VARCHAR NOT NULL,
            agent VARCHAR NOT NULL,
            category VARCHAR NOT NULL,
            violations BIGINT NOT NULL,        -- flagged messages of this category
            hits BIGINT NOT NULL,              -- flag rows (spans)
            sessions BIGINT NOT NULL           -- sessions holding such a violation
        )""",
    "flags": """
        CREATE TABLE IF NOT EXISTS flags (
            msg_id VARCHAR NOT NULL,
            session_id VARCHAR,
            shop VARCHAR,
            agent VARCHAR,
            role VARCHAR,                      -- agent | auto (auto-reply flags are shown, not counted)
            sent_at TIMESTAMP,
            week VARCHAR,
            rule_id VARCHAR NOT NULL,
            category VARCHAR NOT NULL,
            severity VARCHAR NOT NULL,
            start INTEGER NOT NULL,            -- 0-based character offset into messages.text
            "end" INTEGER NOT NULL,            -- exclusive
            matched VARCHAR NOT NULL,
            rule_version VARCHAR NOT NULL,
            probability DOUBLE,                -- classifier rules only
            buyer VARCHAR
        )""",
    "inquiries": """
        CREATE TABLE IF NOT EXISTS inquiries (
            week VARCHAR NOT NULL,
            shop VARCHAR NOT NULL,
            buyer VARCHAR NOT NULL,
            day DATE NOT NULL,
            agent VARCHAR NOT NULL,
            first_reply_at TIMESTAMP NOT NULL,
            window_start TIMESTAMP NOT NULL,
            window_end TIMESTAMP NOT NULL,
            converted BOOLEAN NOT NULL,        -- credited to this agent (最后接待)
            assist BOOLEAN NOT NULL,           -- converted, credited to another agent
            ordered BOOLEAN NOT NULL,
            credited_agent VARCHAR,
            first_order_id VARCHAR,
            first_order_at TIMESTAMP,
            sales_amount DECIMAL(18, 2),
            refund_amount DECIMAL(18, 2),
            refund_orders BIGINT,
            paid_orders BIGINT,                -- the converting orders those figures cover
            items BIGINT,                      -- their 宝贝总数量 (NULL when the export has none)
            final_paid BOOLEAN NOT NULL,       -- 询单→最终付款: created in the window, paid by the week's end
            next_day_paid BOOLEAN NOT NULL     -- 询单→次日付款: paid by 23:59:59 of the day after `day`
        )""",
    "order_attribution": """
        CREATE TABLE IF NOT EXISTS order_attribution (
            order_id VARCHAR NOT NULL,
            shop VARCHAR,
            buyer VARCHAR,
            created_at TIMESTAMP,
            paid_at TIMESTAMP,
            amount DECIMAL(18, 2),
            refund_amount DECIMAL(18, 2),
            status VARCHAR,
            inquiry_day DATE,                  -- the buyer-day inquiry whose window holds the order
            converts BOOLEAN NOT NULL,
            silent BOOLEAN NOT NULL,           -- paid with no inquiry (静默下单)
            matched_buyer BOOLEAN NOT NULL,    -- the (shop, buyer) appears in the chats at all
            week VARCHAR,                      -- ISO week of created_at (of paid_at without one): its partition
            items BIGINT                       -- 宝贝总数量 (NULL when the export has none)
        )""",
    "shop_week": """
        CREATE TABLE IF NOT EXISTS shop_week (
            week VARCHAR NOT NULL,
            shop VARCHAR NOT NULL,
            inquiries BIGINT,                  -- buyer-days
            paying_buyers BIGINT,
            conversion_rate DOUBLE,
            sales_amount DECIMAL(18, 2),
            silent_orders BIGINT,
            silent_amount DECIMAL(18, 2),
            orders_unmatched BIGINT,           -- orders whose buyer never chatted with the shop
            inquiries_unmatched BIGINT         -- inquiries on days no loaded order export covers
        )""",
    "session_scores": """
        CREATE TABLE IF NOT EXISTS session_scores (
            session_id VARCHAR NOT NULL,
            shop VARCHAR,
            agent VARCHAR,
            week VARCHAR NOT NULL,
            score DOUBLE NOT NULL,
            auto_failed BOOLEAN NOT NULL,
            responsiveness DOUBLE NOT NULL,
            compliance DOUBLE NOT NULL,
            outcome DOUBLE,                    -- NULL where not a presale session
            scorecard_version VARCHAR,
            buyer VARCHAR
        )""",
    "score_deductions": """
        CREATE TABLE IF NOT EXISTS score_deductions (
            session_id VARCHAR NOT NULL,
            category VARCHAR NOT NULL,         -- responsiveness | compliance | outcome | auto_fail
            points DOUBLE NOT NULL,
            reason VARCHAR NOT NULL,
            msg_id VARCHAR,
            shop VARCHAR,
            week VARCHAR,                      -- the session's week
            buyer VARCHAR
        )""",
}

# The service-standard clauses (qc_pipeline/standard, docs/metrics.md "Service-standard clauses"): per-buyer
# tables like the ones above, placed in the partition of the promise's message / the order's creation.
STANDARD_TABLES = {
    "promises": """
        CREATE TABLE IF NOT EXISTS promises (
            msg_id VARCHAR NOT NULL,           -- the promising agent message (我帮您查一下 ...)
            shop VARCHAR NOT NULL,
            buyer VARCHAR NOT NULL,
            agent VARCHAR,                     -- who promised
            promised_at TIMESTAMP NOT NULL,
            due TIMESTAMP NOT NULL,            -- promised_at + standard.promise_due_hours (wall clock)
            kept_at TIMESTAMP,                 -- the first substantive human reply to the buyer after it,
                                               -- within standard.promise_follow_hours
            kept_by VARCHAR,                   -- who answered it (a colleague, after a handover)
            kept_msg_id VARCHAR,
            keep_seconds DOUBLE,               -- kept_at - promised_at
            status VARCHAR NOT NULL,           -- kept | late | broken | open
            lexicon_id VARCHAR,                -- the first promise entry of standard/lexicons.toml it matches
            week VARCHAR NOT NULL              -- ISO week of promised_at: its partition
        )""",
    "payment_reminders": """
        CREATE TABLE IF NOT EXISTS payment_reminders (
            order_id VARCHAR NOT NULL,         -- an order not paid when it was created
            shop VARCHAR NOT NULL,
            buyer VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            close_deadline TIMESTAMP NOT NULL, -- created_at + standard.payment_close_hours (auto-close)
            paid_at TIMESTAMP,
            status VARCHAR,                    -- the order export's status
            amount DECIMAL(18, 2),             -- 买家实际支付金额 (0 while unpaid)
            reminded_at TIMESTAMP,             -- the first reminder (催付) before payment and the deadline
            reminded_by VARCHAR,               -- the agent who sent it
            reminders BIGINT NOT NULL,         -- reminder messages to the buyer in that time
            reminding_agents BIGINT NOT NULL,  -- distinct agents who sent them (> 1: a double-chased buyer)
            paid_after_reminder BOOLEAN NOT NULL,
            week VARCHAR NOT NULL              -- ISO week of created_at: its partition
        )""",
    "order_remarks": """
        CREATE TABLE IF NOT EXISTS order_remarks (
            order_id VARCHAR NOT NULL,         -- one row per distinct line of the order's 订单备注 in any export
            shop VARCHAR,
            buyer VARCHAR,
            created_at TIMESTAMP,              -- the order's creation
            line VARCHAR NOT NULL,             -- the remark as written (内容—客服名—时间)
            content VARCHAR,                   -- what it says
            agent_name VARCHAR,                -- the name it gives
            agent VARCHAR,                     -- that name's sub-account in the roster (NULL: not found)
            written_at TIMESTAMP,              -- the time it gives (a year-less date: nearest the order's)
            time_id VARCHAR,                   -- the [[time]] entry of standard/remarks.toml that read it
            status VARCHAR NOT NULL,           -- ok | malformed
            problem VARCHAR,                   -- what a malformed remark lacks ('no time; agent not in roster')
            still_on_order BOOLEAN NOT NULL,   -- the order's current row (orders.remark) still holds it
            overwritten_by VARCHAR,            -- another agent whose later remark replaced it in an export
            overwritten_at TIMESTAMP,          -- the time of that later remark
            week VARCHAR NOT NULL              -- ISO week of the order's creation (payment, without one)
        )""",
    "stale_auto_replies": """
        CREATE TABLE IF NOT EXISTS stale_auto_replies (
            msg_id VARCHAR NOT NULL,           -- an auto-reply announcing a sales event or a date already past
            shop VARCHAR NOT NULL,
            buyer VARCHAR NOT NULL,
            agent VARCHAR,                     -- the account it was sent from
            sent_at TIMESTAMP NOT NULL,
            text VARCHAR,
            lexicon_id VARCHAR NOT NULL,       -- the entry of standard/auto_reply_dates.toml that read the date
            announced_end DATE NOT NULL,       -- the event's last day, or the closing date the text gives
            week VARCHAR NOT NULL              -- ISO week of sent_at: its partition
        )""",
}
DERIVED_TABLES.update(STANDARD_TABLES)

# Shift handovers (qc_pipeline/standard/handovers.py, docs/metrics.md "Shift handovers"): one row per round
# left waiting at a shift end, in the partition of the round's first buyer message, and the per-shift
# weekly figures beside agent_week.
HANDOVER_TABLES = {
    "handovers": """
        CREATE TABLE IF NOT EXISTS handovers (
            session_id VARCHAR NOT NULL,
            shop VARCHAR NOT NULL,
            buyer VARCHAR NOT NULL,
            round_no INTEGER NOT NULL,         -- the round (rounds.session_id, rounds.round_no)
            first_msg_id VARCHAR,
            started_at TIMESTAMP NOT NULL,     -- the round's first buyer message
            left_by VARCHAR,                   -- the agent the buyer was last talking to before the shift end
            shift_name VARCHAR NOT NULL,       -- the shift that ended with the round waiting
            shift_ended_at TIMESTAMP NOT NULL, -- the first shift end after started_at
            next_shift VARCHAR,                -- the shift on duty next
            next_shift_started_at TIMESTAMP NOT NULL,  -- the first on-duty moment at or after the shift end
            answered_at TIMESTAMP,             -- the round's human reply (rounds.replied_at)
            answered_by VARCHAR,
            wait_after_shift_start_s DOUBLE,   -- on-duty seconds from next_shift_started_at to the reply (0 before)
            status VARCHAR NOT NULL,           -- answered | unanswered
            week VARCHAR NOT NULL              -- ISO week of started_at: its partition
        )""",
    "shift_week": """
        CREATE TABLE IF NOT EXISTS shift_week (
            week VARCHAR NOT NULL,
            shop VARCHAR NOT NULL,
            shift VARCHAR NOT NULL,            -- rounds belong to the shift on duty at their clock_start
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
            avg_wait_capped_s DOUBLE,
            handovers_left BIGINT,             -- rounds still waiting when this shift ended
            handovers_received BIGINT,         -- rounds waiting when this shift came on duty
            handovers_answered BIGINT,         -- of those, answered
            handover_answer_median_s DOUBLE    -- their median on-duty seconds from the shift's start
        )""",
}
DERIVED_TABLES.update(HANDOVER_TABLES)
