"""Starting Spark, and saying in one line what is missing when it cannot start (pyspark, Java 17)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from qc_pipeline.errors import UserError

JAVA_MIN = 17
INSTALL_HINT = 'pip install -e ".[spark]"'


def java_version() -> int | None:
    """The major version of the `java` Spark would start (JAVA_HOME first), or None without one."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.path.exists(java):
        return None
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


def missing() -> str | None:
    """Why the Spark engine cannot run here, or None when it can."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return f"--engine spark needs pyspark: {INSTALL_HINT}"
    version = java_version()
    if version is None or version < JAVA_MIN:
        found = "no java found" if version is None else f"found Java {version}"
        return (f"--engine spark needs Java {JAVA_MIN} or later ({found}): run scripts/setup.sh, or install "
                "openjdk-17-jre-headless and set JAVA_HOME")
    return None


def require() -> None:
    reason = missing()
    if reason:
        raise UserError(reason)


def is_local(master: str) -> bool:
    return master.startswith("local")


def spark_session(master: str = "local[*]", app_name: str = "chat-qc"):
    """A SparkSession for the jobs (the active one when it already runs, as under spark-submit)."""
    require()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = (
        SparkSession.builder.master(master).appName(app_name)
        # Times are shop-local wall-clock times (TIMESTAMP_NTZ): no session time zone may shift them.
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    )
    if is_local(master):
        # Python workers run the interpreter running this (its venv holds the project and pyarrow);
        # pyspark reads the variable when the context starts.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = builder.config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
    return builder.getOrCreate()


def describe(spark, text: str | None) -> None:
    """Name the Spark jobs that follow (the UI and event log show it: which step a stage belongs to)."""
    try:
        spark.sparkContext.setJobDescription(text)
    except NotImplementedError:  # Spark Connect has no SparkContext; the name is only a label
        pass
