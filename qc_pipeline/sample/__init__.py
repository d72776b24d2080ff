"""The synthetic sample shop with planted ground truth, and bulk rows for the speed benchmark."""
from qc_pipeline.sample.bulk import bulk_messages
from qc_pipeline.sample.generator import generate_sample
from qc_pipeline.sample.plan import plan_sample

__all__ = ["bulk_messages", "generate_sample", "plan_sample"]
