"""The SQL runner a backend hands to the repositories: its connection, parameter style,
transactions and error translation, and nothing else of the store."""

from __future__ import annotations

from typing import Any, ContextManager, Iterable, Protocol, Sequence


class Runner(Protocol):
    #: "sqlite" or "postgres"
    dialect: str
    #: the column that orders memories as they were inserted ("rowid", "seq")
    insertion_order: str

    def sql(self, text: str) -> str:
        """Portable SQL (``?`` parameters) in this runner's parameter style."""

    def query(self, sql: Any, params: Sequence[Any] = ()) -> list[tuple]: ...

    def vector(self, values: Any) -> Any:
        """A float32 vector as this backend stores it (a parameter for the ``embedding`` column)."""

    def execute(self, sql: Any, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    def transaction(self) -> ContextManager[None]:
        """One write transaction; an inner one joins the outer."""

    def lock(self, name: str) -> None:
        """Inside a transaction: serialise it with others taking the same name (PostgreSQL: an
        advisory transaction lock; SQLite: its write lock already does)."""

    def fresh(self) -> ContextManager["Runner"]:
        """A runner on a short connection of its own (a heartbeat thread), closed at the end."""
