"""Knowledge-update benchmark (issue 14): facts that change over dated sessions.

    python bench/knowledge_update.py [--people 60] [--seed 7] [--model all-MiniLM-L6-v2]

A seeded generator writes people whose job, city, partner, drink and hobby change across eight
dated sessions (2021-2024), plus facts that never change (pets, birthplaces). Each session is
applied to a fresh store the way extraction applies a model's decisions: a new attribute is an
insert, a changed one an update of the memory that held it, dated with the session
(``Operation.valid_from``). Nothing in the store is told which memory answers which question.

Questions ("Where does Alice live?") are asked per person (namespace) three ways:
- dated: at a random day inside each interval where a value held, ``as_of`` that day; the top-1
  must be the fact valid that day;
- current: no date; the top-1 must be the latest fact;
- time-blind reference: the same questions on the same store with ``include_expired`` and no
  ``as_of`` (a store with no notion of time).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from speed_corpus import CITIES, DRINKS, JOBS, NAMES, PET_NAMES, PETS, THINGS  # noqa: E402

SESSIONS = [date(2021, 1, 10) + timedelta(days=150 * i + d) for i, d in enumerate((0, 7, 3, 11, 5, 2, 9, 4))]
PARTNERS = [n for n in NAMES]
ATTRIBUTES = {
    "job": (JOBS, ["{name} works as a {v}.", "{name} started a new job as a {v}.", "{name} is now working as a {v}."],
            "What does {name} do for work?"),
    "city": (CITIES, ["{name} lives in {v}.", "{name} moved to {v}.", "{name} relocated to {v} and lives there now."],
             "Where does {name} live?"),
    "partner": (PARTNERS, ["{name}'s partner is {v}.", "{name} is dating {v}.", "{name} is in a relationship with {v}."],
                "Who is {name}'s partner?"),
    "drink": (DRINKS, ["{name}'s favourite drink is {v}.", "{name} prefers {v} these days.",
                       "{name} switched to drinking {v}."],
              "What does {name} like to drink?"),
    "hobby": (THINGS, ["{name}'s favourite hobby is {v}.", "{name} has taken up {v}.", "{name} spends free time on {v}."],
              "What hobby does {name} enjoy?"),
}
CHANGE_RATE = 0.3


@dataclass
class Fact:
    text: str
    since: date
    id: str | None = None


@dataclass
class Person:
    name: str
    timelines: dict[str, list[Fact]] = field(default_factory=dict)  # attribute -> facts in time order
    static: list[str] = field(default_factory=list)


def generate(people: int, seed: int) -> list[Person]:
    rng = random.Random(seed)
    names = rng.sample(NAMES, min(people, len(NAMES)))
    while len(names) < people:
        names.append(f"{rng.choice(NAMES)} {rng.choice(['Lee', 'Novak', 'Silva', 'Khan', 'Berg', 'Rossi'])}")
        names = list(dict.fromkeys(names))
    out = []
    for name in names:
        person = Person(name)
        for attribute, (values, templates, _) in ATTRIBUTES.items():
            pool = [v for v in values if v != name.split()[0]]
            current = rng.choice(pool)
            timeline = [Fact(templates[0].format(name=name, v=current), SESSIONS[0])]
            for session in SESSIONS[1:]:
                if rng.random() < CHANGE_RATE:
                    current = rng.choice([v for v in pool if v != current])
                    timeline.append(Fact(rng.choice(templates[1:]).format(name=name, v=current), session))
            person.timelines[attribute] = timeline
        person.static = [f"{name} has a {rng.choice(PETS)} called {rng.choice(PET_NAMES)}.",
                         f"{name} was born in {rng.choice(CITIES)} in {rng.randint(1960, 2000)}."]
        out.append(person)
    return out


def load(store, people: list[Person]) -> None:
    """Session by session, as extraction would: inserts, and updates of the memory that held the value."""
    from langmem_cli.core.extraction import Operation

    for i, session in enumerate(SESSIONS):
        for person in people:
            ns = "ku/" + person.name.replace(" ", "_").lower()
            ops, changed = [], []
            if i == 0:
                ops += [Operation("insert", "memory", text, valid_from=session.isoformat()) for text in person.static]
            for attribute, timeline in person.timelines.items():
                for k, fact in enumerate(timeline):
                    if fact.since != session:
                        continue
                    if k == 0:
                        ops.append(Operation("insert", "memory", fact.text, valid_from=session.isoformat()))
                    else:
                        ops.append(Operation("update", "memory", fact.text, timeline[k - 1].id,
                                             valid_from=session.isoformat()))
                    changed.append(fact)
            if not ops:
                continue
            result = store.apply_operations(ns, ops, f"session-{i + 1}")
            new = {m.text: m.id for m in result["inserted"] + result["updated"]}
            for fact in changed:
                fact.id = new[fact.text]


def questions(people: list[Person], seed: int) -> tuple[list, list]:
    """(dated, current): (namespace, question, as_of or None, expected id, ids of the same attribute)."""
    rng = random.Random(seed + 1)
    end = SESSIONS[-1] + timedelta(days=200)
    dated, current = [], []
    for person in people:
        ns = "ku/" + person.name.replace(" ", "_").lower()
        for attribute, timeline in person.timelines.items():
            q = ATTRIBUTES[attribute][2].format(name=person.name)
            versions = frozenset(f.id for f in timeline)
            current.append((ns, q, None, timeline[-1].id, versions))
            if len(timeline) < 2:
                continue
            for k, fact in enumerate(timeline):
                until = timeline[k + 1].since if k + 1 < len(timeline) else end
                day = fact.since + timedelta(days=rng.randrange((until - fact.since).days))
                dated.append((ns, q, day.isoformat(), fact.id, versions))
    return dated, current


def top1(store, items, mode: str, time_blind: bool = False) -> float:
    return answers(store, items, mode, time_blind)[0]


def answers(store, items, mode: str, time_blind: bool = False) -> tuple[float, float]:
    """(% top-1 is the expected fact, % top-1 is another version of the asked attribute: a stale
    or premature answer, the failure time-awareness is about)."""
    hits = stale = 0
    for ns, q, as_of, expected, versions in items:
        found = store.search(q, mode=mode, namespace=ns, limit=10, as_of=None if time_blind else as_of,
                             include_expired=time_blind)
        top = found[0].memory.id if found else None
        hits += top == expected
        stale += top in versions and top != expected
    return 100.0 * hits / len(items), 100.0 * stale / len(items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--model", default="all-MiniLM-L6-v2", help="embedding model (hash:256 for a fast smoke run)")
    parser.add_argument("--mode", default="hybrid")
    args = parser.parse_args()

    from langmem_cli.embed.embedders import LazyEmbedder
    from langmem_cli.store import open_store

    people = generate(args.people, args.seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp) / "ku.db", embedder=LazyEmbedder(args.model)) as store:
        load(store, people)
        dated, current = questions(people, args.seed)
        memories = store.count(include_expired=True)
        figures = {}
        for label, items in (("dated (as_of)", dated), ("current (no date)", current)):
            for blind in (False, True):
                hit, stale = answers(store, items, args.mode, blind)
                prefix = ("time-blind " if blind else "") + label
                figures[f"{prefix} top-1"], figures[f"{prefix} stale top-1"] = hit, stale
    result = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": f"{platform.machine()}, "
              f"{platform.processor() or platform.platform()}, Python {platform.python_version()}",
              "people": len(people), "memories": memories, "dated_questions": len(dated),
              "current_questions": len(current), "model": args.model, "mode": args.mode, "seed": args.seed,
              "seconds": round(time.perf_counter() - started, 1), **{k: round(v, 1) for k, v in figures.items()}}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
