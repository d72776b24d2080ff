"""Reading and writing lake files through pyarrow.fs, so a lake may be a local folder or a URI
(s3://, hdfs://, gs://, ... whatever Arrow's filesystems reach)."""
from __future__ import annotations

import io
import os
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from qc_pipeline.errors import UserError
from qc_pipeline.lake.layout import SCHEMA_FILE, lake_tables, table

# Files and folders every reader skips (Spark, Hive and Arrow skip these prefixes too).
HIDDEN = (".", "_")


@dataclass(frozen=True)
class Lake:
    """A lake root: a filesystem and the path of the root on it (no trailing slash)."""

    fs: pafs.FileSystem
    root: str
    uri: str  # as the user gave it, absolute for local paths (what Spark and DuckDB are handed)

    @classmethod
    def at(cls, where: str | os.PathLike) -> "Lake":
        text = str(where)
        if "://" in text and not text.startswith("file://"):
            try:
                fs, root = pafs.FileSystem.from_uri(text)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
                raise UserError(f"{text}: not a lake location Arrow can open ({exc})") from None
            return cls(fs, root.rstrip("/"), text.rstrip("/"))
        local = os.path.abspath(text[len("file://"):] if text.startswith("file://") else text)
        return cls(pafs.LocalFileSystem(), local.rstrip("/") or "/", local)

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, pafs.LocalFileSystem)

    def path(self, relative: str) -> str:
        return f"{self.root}/{relative}" if relative else self.root

    def url(self, relative: str) -> str:
        """A location as Spark and DuckDB want it."""
        return f"{self.uri}/{relative}" if relative else self.uri

    def exists(self, relative: str) -> bool:
        return self.fs.get_file_info(self.path(relative)).type != pafs.FileType.NotFound

    def is_lake(self) -> bool:
        return self.exists(f"messages/{SCHEMA_FILE}")

    def create(self) -> None:
        """Make the root and every table's schema file (idempotent). The root is marked as chat-qc's
        output, so a lake inside an input folder is never read back as exports."""
        from qc_pipeline.ingest.discover import MARKER_TEXT, OUTPUT_MARKER

        if not self.exists(OUTPUT_MARKER):
            self.write_text(OUTPUT_MARKER, MARKER_TEXT)
        for name, spec in lake_tables().items():
            if not self.exists(f"{name}/{SCHEMA_FILE}"):
                self.write(f"{name}/{SCHEMA_FILE}", spec.schema.empty_table())

    def write(self, relative: str, rows: pa.Table) -> None:
        path = self.path(relative)
        self.fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
        pq.write_table(rows, path, filesystem=self.fs, compression="zstd")

    def write_text(self, relative: str, text: str) -> None:
        path = self.path(relative)
        self.fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
        with self.fs.open_output_stream(path) as out:
            out.write(text.encode("utf-8"))

    def read_text(self, relative: str) -> str:
        with self.fs.open_input_stream(self.path(relative)) as handle:
            return handle.read().decode("utf-8")

    def listdir(self, relative: str) -> list[pafs.FileInfo]:
        selector = pafs.FileSelector(self.path(relative), allow_not_found=True)
        return self.fs.get_file_info(selector)

    def read(self, name: str, under: list[str] | None = None) -> pa.Table:
        """Rows of a lake table, all of them or those under the given directories (relative to the
        lake root, e.g. a shop's directory), with the table's schema."""
        spec = table(name)
        dirs = [f"{name}"] if under is None else [d for d in under if self.exists(d)]
        files = []
        for d in dirs:
            selector = pafs.FileSelector(self.path(d), recursive=True, allow_not_found=True)
            files += sorted(
                info.path for info in self.fs.get_file_info(selector)
                if info.type == pafs.FileType.File and info.path.endswith(".parquet")
                and not any(part.startswith(HIDDEN) for part in info.path[len(self.root) + 1:].split("/"))
            )
        if not files:
            return spec.schema.empty_table()
        dataset = ds.dataset(files, schema=spec.schema, format="parquet", filesystem=self.fs)
        return dataset.to_table()

    def delete_dir(self, relative: str) -> None:
        if self.exists(relative):
            self.fs.delete_dir(self.path(relative))


def parquet_bytes(rows: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(rows, sink, compression="zstd")
    return sink.getvalue()
