"""Staged writes and the swap: a run writes everything under `<lake>/_staging/<run_id>/`, and only
after the whole job succeeded moves each staged unit (a shop's directory of a table, or one file) into
place. A failed job leaves the previous lake as it was: readers never look under `_staging`.

The swap first writes the list of units (`COMMIT.json`); a swap cut short (the driver killed while
moving) is finished by the next writer (`recover`), so the lake never stays half old, half new.
One writer at a time: two runs on the same lake at once are not supported.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pyarrow.fs as pafs

from qc_pipeline.lake.files import Lake

STAGING = "_staging"
COMMIT = "COMMIT.json"


def new_run_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


class Staging:
    def __init__(self, lake: Lake, run_id: str):
        self.lake, self.run_id = lake, run_id
        self.base = f"{STAGING}/{run_id}"

    def data(self, relative: str) -> str:
        """Where a lake path is staged, relative to the lake root."""
        return f"{self.base}/data/{relative}"

    def scratch(self, relative: str) -> str:
        """Intermediate files of the run that are never swapped in."""
        return f"{self.base}/scratch/{relative}"

    def swap(self, put: list[str], drop: list[str] = ()) -> None:
        """Move the staged units `put` into place (each replacing what was there) and take the units
        `drop` out of the lake (a shop's table that now has no rows), then drop the staging."""
        plan = {"put": sorted(set(put)), "drop": sorted(set(drop) - set(put))}
        self.lake.write_text(f"{self.base}/{COMMIT}.tmp", json.dumps(plan, ensure_ascii=False))
        self.lake.fs.move(self.lake.path(f"{self.base}/{COMMIT}.tmp"), self.lake.path(f"{self.base}/{COMMIT}"))
        self._finish(plan)

    def _retire(self, unit: str) -> None:
        old = f"{self.base}/old/{unit}"
        self.lake.fs.create_dir(self.lake.path(old).rsplit("/", 1)[0], recursive=True)
        self.lake.fs.move(self.lake.path(unit), self.lake.path(old))

    def _finish(self, plan: dict[str, list[str]]) -> None:
        lake = self.lake
        for unit in plan["put"]:
            staged = self.data(unit)
            if not lake.exists(staged):  # moved already by a swap that was cut short
                continue
            if lake.exists(unit):
                self._retire(unit)
            lake.fs.create_dir(lake.path(unit).rsplit("/", 1)[0], recursive=True)
            lake.fs.move(lake.path(staged), lake.path(unit))
        for unit in plan["drop"]:
            if lake.exists(unit):
                self._retire(unit)
        self.discard()

    def discard(self) -> None:
        self.lake.delete_dir(self.base)


def recover(lake: Lake) -> None:
    """Finish swaps that were cut short and drop the staging of runs that never reached their swap."""
    for info in lake.listdir(STAGING):
        if info.type != pafs.FileType.Directory:
            continue
        staging = Staging(lake, info.base_name)
        if lake.exists(f"{staging.base}/{COMMIT}"):
            staging._finish(json.loads(lake.read_text(f"{staging.base}/{COMMIT}")))
        else:
            staging.discard()
