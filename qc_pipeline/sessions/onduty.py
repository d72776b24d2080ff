"""On-duty time: waits and idle gaps are measured in seconds during which some shift is on duty.

A shop with shifts 08:30-16:30 and 16:30-00:30 is off duty 00:30-08:30, so a buyer who writes at
03:10 and is answered at 08:31:10 waited 70 s. All functions work on whole numpy arrays of
shop-local times in microseconds since the epoch, so a million messages cost one pass.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qc_pipeline.config import Shift

US_PER_S = 1_000_000
DAY_US = 86_400 * US_PER_S


@dataclass(frozen=True)
class DutyCalendar:
    """The union of the shifts as sorted, disjoint [start, end) intervals within one day."""

    starts: np.ndarray  # int64 microseconds after midnight
    ends: np.ndarray
    always_on: bool

    @classmethod
    def from_shifts(cls, shifts: list[Shift]) -> "DutyCalendar":
        if not shifts:
            return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), always_on=True)
        pieces: list[tuple[int, int]] = []
        for shift in shifts:
            if shift.end_s > shift.start_s:
                pieces.append((shift.start_s, shift.end_s))
            else:  # crosses midnight: the evening part and the early-morning part
                pieces.append((shift.start_s, 86_400))
                if shift.end_s > 0:
                    pieces.append((0, shift.end_s))
        pieces.sort()
        merged: list[list[int]] = []
        for start, end in pieces:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        if merged == [[0, 86_400]]:
            return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), always_on=True)
        starts = np.array([s for s, _ in merged], np.int64) * US_PER_S
        ends = np.array([e for _, e in merged], np.int64) * US_PER_S
        return cls(starts, ends, always_on=False)

    @property
    def on_duty_per_day_us(self) -> int:
        return DAY_US if self.always_on else int((self.ends - self.starts).sum())

    def on_duty_clock(self, t_us: np.ndarray) -> np.ndarray:
        """On-duty microseconds elapsed from the epoch to each time: differences give waits and gaps."""
        t_us = np.asarray(t_us, dtype=np.int64)
        if self.always_on:
            return t_us.copy()
        day, within = np.divmod(t_us, DAY_US)
        lengths = self.ends - self.starts
        before = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        idx = np.searchsorted(self.starts, within, side="right") - 1
        safe = np.clip(idx, 0, None)
        inside = np.minimum(within - self.starts[safe], lengths[safe])
        elapsed_today = np.where(idx >= 0, before[safe] + inside, 0)
        return day * self.on_duty_per_day_us + elapsed_today

    def next_on_duty(self, t_us: np.ndarray) -> np.ndarray:
        """Each time itself when a shift is on duty then, else the start of the next shift."""
        t_us = np.asarray(t_us, dtype=np.int64)
        if self.always_on:
            return t_us.copy()
        day, within = np.divmod(t_us, DAY_US)
        idx = np.searchsorted(self.starts, within, side="right") - 1
        safe = np.clip(idx, 0, None)
        on_duty = (idx >= 0) & (within < self.ends[safe])
        nxt = idx + 1  # first interval starting after `within`
        has_next_today = nxt < len(self.starts)
        next_start = np.where(
            has_next_today,
            day * DAY_US + self.starts[np.clip(nxt, 0, len(self.starts) - 1)],
            (day + 1) * DAY_US + self.starts[0],
        )
        return np.where(on_duty, t_us, next_start)
