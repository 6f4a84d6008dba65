"""The lease heartbeat of `langmem watch`: while a unit of work runs (its model calls may take longer
than the lease's ttl), a thread renews the lease every ttl/3, on a connection of its own
(``Store.renew_watch_lease``), so no other watcher takes the source over. If a renewal finds the
lease gone (it expired and another watcher took it), the unit's commit is refused: its
transaction rolls back and the conversation is tried again later, from the stored progress."""

from __future__ import annotations

import threading
from typing import Callable

from langmem_cli.errors import LangmemError


class LeaseLostError(LangmemError):
    pass


class LeaseKeeper:
    def __init__(self, store, source: str, holder: str, ttl: float, warn: Callable[[str], None]):
        self.store, self.source, self.holder, self.ttl, self.warn = store, source, holder, ttl, warn
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name="langmem-lease")

    def __enter__(self) -> "LeaseKeeper":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)  # a late renewal of a released lease changes nothing

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                if not self.store.renew_watch_lease(self.source, self.holder, self.ttl):
                    self.lost = True
                    return
            except LangmemError as exc:  # the database is away for now: try again at the next beat
                self.warn(f"could not renew the lease on {self.source}: {exc}")

    def check(self) -> None:
        """Raise LeaseLostError if another watcher may have taken the source (call before commit)."""
        if self.lost:
            raise LeaseLostError(f"lease on {self.source} lost during the extraction (not renewed within "
                                 f"{self.ttl:g} s): rolled back, tried again later")
