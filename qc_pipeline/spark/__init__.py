"""The Spark engine (`qc run --engine spark`): ingest and derived tables as Spark jobs over a Parquet lake.

pyspark is imported only by the job modules (`session`, `ingest`, `derive`, `job`), so the rest of the
package works without it; `parse` and `shop` are the plain functions a task runs.
"""
