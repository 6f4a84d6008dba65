"""The TTL sweeper: a daemon thread that calls ``sweep()`` every interval until stopped."""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from typing import Callable

log = logging.getLogger(__name__)


class Sweeper:
    def __init__(self, sweep: Callable[[], int]):
        self._sweep = sweep
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, minutes: float) -> concurrent.futures.Future:
        """Start (or keep) the thread; the future resolves when it stops (cancel it to stop)."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        future.add_done_callback(lambda f: self._stop.set() if f.cancelled() else None)
        if self._thread is not None and self._thread.is_alive():
            return future
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(minutes * 60):
                try:
                    self._sweep()
                except Exception:  # noqa: BLE001 - a failed sweep is logged; the next one tries again
                    log.exception("TTL sweep failed")
            if not future.done():
                future.set_result(None)

        self._thread = threading.Thread(target=loop, daemon=True, name="langmem-ttl-sweeper")
        self._thread.start()
        return future

    def stop(self, timeout: float | None = None) -> bool:
        """True once the thread has ended (or none ran); False if ``timeout`` passed first."""
        if self._thread is None or not self._thread.is_alive():
            return True
        self._stop.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            return False
        self._thread = None
        return True
