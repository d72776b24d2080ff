"""The synthetic sample shop: plan the conversations, write every export, write truth.json."""
from __future__ import annotations

from pathlib import Path

from qc_pipeline.config import load_config
from qc_pipeline.sample import catalog
from qc_pipeline.sample.conversion_truth import conversion_truth, replies_of, sales_of
from qc_pipeline.sample.exports import write_exports
from qc_pipeline.sample.orders import order_truth
from qc_pipeline.sample.plan import plan_sample
from qc_pipeline.sample.remarks import remark_truth
from qc_pipeline.sample.shops import SHOPS, agent_roles
from qc_pipeline.sample.standard_truth import standard_truth
from qc_pipeline.sample.truth import build_truth, dumps_truth


def _roster_truth() -> list[dict]:
    return [{"agent": a.account, "name": a.name, "team": a.team, "role": a.role, "shop": s.name}
            for s in SHOPS for a in s.agents]


def generate_sample(out_dir: Path, seed: int = 7, weeks: int = 2, end_week: str = "2026-W47", *,
                    violations: bool = True) -> dict:
    """Write the sample shop's exports and truth.json into `out_dir`; return the truth.

    With `violations` (the default) about 3 % of agent replies are swapped for texts that break the
    compliance rules, listed in truth["violations"]; times, sessions, rounds and orders stay the same."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = plan_sample(seed, weeks, end_week, violations=violations)
    files, quarantined = write_exports(plan, out_dir)
    config, roles = load_config(), agent_roles()
    conversion, per_order = conversion_truth(
        replies_of(plan.sessions, roles, config.default_role), sales_of(plan.orders),
        {(s.shop, s.buyer) for s in plan.sessions}, config.conversion,
    )
    truth = build_truth(
        seed=seed, period=plan.period, config=config, sessions=plan.sessions, roles=roles,
        names={a.account: a.name for s in SHOPS for a in s.agents}, files=files,
        orders=[{**order_truth(o), **per_order[o.order_id]} for o in plan.orders], quarantined=quarantined,
        violations=plan.violations, agents=_roster_truth(), conversion=conversion,
        standard=standard_truth(plan.sessions, plan.orders, config),
    )
    truth["remarks"] = remark_truth(plan.remarks, plan.orders)
    (out_dir / catalog.TRUTH).write_bytes(dumps_truth(truth).encode("utf-8"))
    return truth
