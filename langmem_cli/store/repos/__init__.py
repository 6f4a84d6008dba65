"""Repositories written once for every backend, over a small SQL runner (``runner.Runner``): the
bookkeeping (runs, prompt versions, processed conversations, consolidation marks), `langmem watch`
state, history and re-embedding. Their SQL is the part both dialects share; a backend hands in its runner."""

from __future__ import annotations

from dataclasses import dataclass

from langmem_cli.store.repos.bookkeeping import Bookkeeping
from langmem_cli.store.repos.history import History
from langmem_cli.store.repos.vectors import Vectors
from langmem_cli.store.repos.watch import WatchState

__all__ = ["Bookkeeping", "History", "Repositories", "Vectors", "WatchState"]


@dataclass(frozen=True)
class Repositories:
    """The repositories a backend builds over its runner and hands to the Store's roles."""

    bookkeeping: Bookkeeping
    watch: WatchState
    history: History
    vectors: Vectors
