"""Measuring this process's memory in tests."""

from __future__ import annotations

import threading

import psutil


class PeakMemory:
    """The process's peak resident-size growth while the block runs (bytes), sampled every
    5 ms in a thread, so memory that is freed before the block ends still counts."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self._stop = threading.Event()
        self.grown = 0

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.grown = max(self.grown, self._process.memory_info().rss - self._before)

    def __enter__(self) -> PeakMemory:
        self._before = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.grown = max(self.grown, self._process.memory_info().rss - self._before)
