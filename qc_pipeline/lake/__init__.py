"""The Parquet lake: the warehouse's tables as Hive-partitioned Parquet datasets (docs/spark.md).

Plain pyarrow and DuckDB (no Spark): the Spark engine writes the lake, and anything that reads the
warehouse reads the lake through `attach`.
"""
from qc_pipeline.lake.attach import attach, connect
from qc_pipeline.lake.export import export_warehouse
from qc_pipeline.lake.files import Lake

__all__ = ["Lake", "attach", "connect", "export_warehouse"]
