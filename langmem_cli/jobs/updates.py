"""Update detection in the jobs: the offline extractor's statements placed in time among the
namespace's memories (core/updates.py decides; this module reads the store and writes operations).

Time decides, not the order files are read in: a statement older than the memory it would replace
is stored already closed (valid until that memory's time, superseded by it) and closes at most the
state before it; a newer one closes the memory it changes. A statement without a time counts as
said when it is read (conversations without timestamps keep file order).
"""

from __future__ import annotations

import dataclasses
import uuid
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from langmem_cli.core import updates
from langmem_cli.core.change_words import KIND_MARGIN, KIND_SCORE, OTHER_KINDS, THING_KINDS
from langmem_cli.core.extraction import Operation
from langmem_cli.core.timestamps import now, try_moment
from langmem_cli.core.words import stem

SMALL = 5000  # a namespace up to this size is compared whole; a larger one through vector search
NEIGHBOURS = 24  # stored memories compared with each statement (the most similar ones)
DUPLICATE = 0.85  # cosine with a memory current at the statement's time above which it is a copy


def stored_facts(store, namespace: str, kind: str, texts: Sequence[str], vectors: np.ndarray
                 ) -> tuple[list[updates.Fact], np.ndarray, dict[str, dict]]:
    """The namespace's memories of ``kind`` (closed ones too) that may relate to the statements
    whose ``vectors`` are given, as facts in time, with their vectors."""
    size = store.count(namespace=namespace, kinds=[kind], include_expired=True)
    if size == 0:
        return [], np.zeros((0, vectors.shape[1]), dtype=np.float32), {}
    if size <= SMALL:
        pairs = [(m, v) for m, v in store.embedded(namespace, include_expired=True) if m.kind == kind]
    else:
        ids: dict[str, Any] = {}
        for text in texts:
            for hit in store.search(text, mode="vector", namespace=namespace, kinds=[kind], limit=NEIGHBOURS,
                                    include_expired=True):
                ids[hit.memory.id] = hit.memory
        pairs = [(m, store.embedding(m.id)) for m in ids.values()]
        pairs = [(m, v) for m, v in pairs if v is not None]
    if not pairs:
        return [], np.zeros((0, vectors.shape[1]), dtype=np.float32), {}
    everyone = [m.text for m, _ in pairs]  # the names are read from the whole namespace, not the nearest
    from langmem_cli.core.names import marked_name

    people = sorted({n for n in (marked_name(m.metadata)[0] for m, _ in pairs) if n})  # the person's names
    if len(pairs) > NEIGHBOURS:
        matrix = np.stack([v for _, v in pairs])
        best = (matrix @ vectors.T).max(axis=1)
        keep = sorted(np.argsort(-best)[:NEIGHBOURS * max(1, len(vectors))].tolist())
        pairs = [pairs[i] for i in keep]
    facts = [updates.Fact(m.id, m.text, (m.valid_from or m.created_at, 0, n), m.valid_from, m.valid_until,
                          m.superseded_by) for n, (m, _) in enumerate(pairs)]
    metadata = {m.id: m.metadata for m, _ in pairs}
    metadata[""] = {"texts": everyone, "people": people}
    return facts, np.stack([v for _, v in pairs]), metadata


ANONYMOUS = "The user"  # how the person is written in the texts whose vectors are compared


_VECTORS: "weakref.WeakKeyDictionary[Any, dict[str, np.ndarray]]" = weakref.WeakKeyDictionary()
CACHED = 20000  # texts per embedder whose vector is kept within a process (a batch of files)


def _embed_once(embedder, texts: list[str]) -> list[np.ndarray]:
    """The vectors of ``texts``, each embedded once per process and embedder: the comparison texts
    (a memory's text with the person written one way does not change when they are named or
    renamed), the names of things and their kinds."""
    try:
        cache = _VECTORS.setdefault(embedder, {})
    except TypeError:  # an embedder that cannot be weakly referenced: no cache
        cache = {}
    missing = list(dict.fromkeys(t for t in texts if t not in cache))
    if missing:
        if len(cache) + len(missing) > CACHED:
            cache.clear()
        cache.update(zip(missing, (np.asarray(v) for v in embedder.embed(missing))))
    return [cache[t] for t in texts]


def _kind_names(embedder, names: set[str]) -> dict[str, str | None]:
    """The kind of thing each name (as written: "Volvo") names, among ``THING_KINDS``, or None: the
    one of them the embedder places it nearest, when it is near enough and ahead of every other kind
    of name (``OTHER_KINDS``)."""
    if not names or str(getattr(embedder, "name", "")).startswith("hash:"):
        return dict.fromkeys(names)  # a bag of words knows no kinds of things
    labels = THING_KINDS + OTHER_KINDS
    ordered = sorted(names)
    scores = np.stack(_embed_once(embedder, ordered)) @ np.stack(_embed_once(embedder, list(labels))).T
    things = len(THING_KINDS)
    out: dict[str, str | None] = {}
    for name, row in zip(ordered, scores):
        best = int(np.argmax(row[:things]))
        good = row[best] >= KIND_SCORE and row[best] - row[things:].max() >= KIND_MARGIN
        out[name] = labels[best] if good else None
    return out


def with_kinds(embedder, facts: Sequence[updates.Fact]) -> None:
    """Give the facts' readings the kinds of the things they name (``Reading.kinds``), all in one
    pass over the embedder."""
    readings = [(f, f.reading) for f in facts if f.reading is not None and f.reading.things and not f.reading.kinds]
    if not readings:
        return
    kind = _kind_names(embedder, {n for _, r in readings for n in r.things})
    for f, r in readings:
        found = frozenset((stem(n.lower()), k) for n in r.things for k in (kind[n],) if k)
        if found:
            f.reading = dataclasses.replace(r, kinds=found)


def _unnamed(text: str, person: str | None, aliases: frozenset[str]) -> str:
    from langmem_cli.core.names import one_person

    return one_person(text, ANONYMOUS, aliases | {person}) if person else text


def _comparable(store, person: str | None, aliases: frozenset[str], known: Sequence[updates.Fact],
                known_vectors: np.ndarray, new: Sequence[updates.Fact], vectors: np.ndarray) -> dict[str, np.ndarray]:
    """The vectors statements are compared by, where they differ from their own: the texts with the
    person written one way whatever name was known when each was read ("The user"), so the same pair
    gives the same cosine in any reading order: the statements and the stored memories compared
    with them (each text embedded once per process: ``_embed_once``)."""
    if not person:
        return {}
    facts = list(known) + list(new)
    own = dict(zip([f.key for f in known], known_vectors)) | dict(zip([f.key for f in new], vectors))
    texts = {f.key: _unnamed(f.text, person, aliases) for f in facts}
    out = {f.key: np.asarray(own[f.key]) for f in facts if texts[f.key] == f.text}
    changed = {key: text for key, text in texts.items() if key not in out}
    if changed:
        out.update(zip(changed, _embed_once(store.embedder, list(changed.values()))))
    return out


def place_statements(store, namespace: str, kind: str, statements: Sequence[tuple[str, str | None, dict]],
                     vectors: np.ndarray, person: str | None = None) -> tuple[list[Operation], list[dict[str, Any]]]:
    """``statements``: (text, time, metadata with evidence) in the order said. Returns the operations
    (inserts, some already closed, and supersedes of stored memories) and the contradictions found
    ({"ids": [new, old], "texts": [...]}: both kept, marked on the new memory's metadata).

    ``person``: the name the statements use for the namespace's person. Statements are compared as
    they read with that name throughout (``core.names.one_person``): a memory stored as "The user …"
    before the name was known, or under another of the person's names, is the same subject, and a
    restatement folds or closes exactly as it would had the name been known when it was read."""
    known, known_vectors, metadata_of = stored_facts(store, namespace, kind, [s[0] for s in statements], vectors)
    from langmem_cli.core.names import one_person

    stored_name = (store.person_names(namespace).get(namespace) or {}).get("name") if person else None
    aliases = frozenset(metadata_of.get("", {}).get("people", [])) | ({stored_name} if stored_name else set())

    def same(text: str) -> str:
        return one_person(text, person, aliases)

    # the namespace's person is one of the people its statements are about, however few name them
    names = updates.subject_names([same(t) for t in metadata_of.get("", {}).get("texts", [])]
                                  + [same(s[0]) for s in statements]) | ({person.lower()} if person else set())
    frequent: frozenset[str] = frozenset()  # a namespace statistic would make the result depend on file order
    for f in known:
        f.names, f.reading = names, updates.read(same(f.text), names)
    stamp = now()
    by_key: dict[str, updates.Fact] = {f.key: f for f in known}
    vector_of: dict[str, np.ndarray] = {f.key: known_vectors[i] for i, f in enumerate(known)}
    queue: list[tuple[updates.Fact, dict]] = []
    said_at: dict[str, str | None] = {}  # key -> the time as the transcript wrote it (kept on the operation)
    for n, (text, when, meta) in enumerate(statements):
        moment = try_moment(when)
        fact = updates.Fact(str(uuid.uuid4()), text, (moment or stamp, 1, n), moment, stored=False,
                            reading=updates.read(same(text), names), names=names)
        queue.append((fact, meta))
        vector_of[fact.key] = vectors[n]
        said_at[fact.key] = when if moment else None
    with_kinds(store.embedder, known + [f for f, _ in queue])
    # compared by how they read with the person written one way (_comparable); carried remainders
    # when first compared
    unnamed = _comparable(store, person, aliases, known, known_vectors, [f for f, _ in queue], vectors)

    def cosine(a: updates.Fact, b: updates.Fact) -> float:
        if not person:
            return float(np.dot(vector_of[a.key], vector_of[b.key]))
        missing = [f for f in (a, b) if f.key not in unnamed]
        if missing:
            texts = [_unnamed(f.text, person, aliases) for f in missing]
            for f, text, v in zip(missing, texts, _embed_once(store.embedder, texts)):
                unnamed[f.key] = vector_of[f.key] if text == f.text else v
        return float(np.dot(unnamed[a.key], unnamed[b.key]))

    inserts: dict[str, Operation] = {}
    supersedes: dict[str, Operation] = {}
    contradictions: list[dict[str, Any]] = []
    placed: list[updates.Fact] = []
    said: list[str] = []  # keys of inserts, in the order said

    def carry(closed: updates.Fact, by: updates.Fact, meta: dict) -> None:
        """The clauses of ``closed`` that ``by`` leaves standing go on as a memory of their own."""
        rest = updates.remainder(closed.text, by.text, names)
        if rest is None:
            return
        # it goes on from the moment the rest of its statement ended (no two memories say it at once)
        at = closed.until or closed.order[0]
        fact = updates.Fact(str(uuid.uuid4()), rest, (at, 2, closed.order[2]), at, stored=False,
                            reading=updates.read(same(rest), names), names=names)
        vector_of[fact.key] = np.asarray(store.embedder.embed([rest])[0])
        with_kinds(store.embedder, [fact])
        evidence = (meta or {}).get("evidence") or []
        mark = {"person": (meta or {})["person"]} if (meta or {}).get("person") else {}  # its name follows its origin's
        queue.append((fact, {"evidence": list(evidence), "carried_from": closed.key, **mark}))

    while queue:
        queue.sort(key=lambda item: item[0].order)
        fact, meta = queue.pop(0)
        pool = [f for f in known + placed if f.key != meta.get("carried_from")]
        result = updates.place(fact, pool, cosine, frequent)
        if result.skip:
            continue
        if not result.closes and result.superseded_by is None and not result.conflicts:
            copies = [other for other in pool if cosine(fact, other) >= DUPLICATE and other.current_at(fact)]
            if any(other.order < fact.order for other in copies):
                continue  # a copy of what was said before: nothing new
            # a copy said later is folded into this first telling (whatever order they were read in)
            result.folds += [other.key for other in copies if other.until is None and other.key not in result.folds]
        if result.superseded_by is not None:
            successor = by_key[result.superseded_by]
            fact.until, fact.superseded_by = successor.order[0], successor.key
        meta = dict(meta)
        if result.conflicts:
            meta["contradicts"] = list(result.conflicts)
            contradictions += [{"ids": [fact.key, other], "texts": [fact.text, by_key[other].text]}
                               for other in result.conflicts]
        for key in result.folds:  # a later restatement of this fact: folded into it, evidence kept
            folded = by_key[key]
            theirs = (metadata_of.get(key) if folded.stored else inserts[key].metadata) or {}
            meta["evidence"] = list(meta.get("evidence") or []) + [
                e for e in theirs.get("evidence") or [] if e not in (meta.get("evidence") or [])]
            folded.until, folded.superseded_by = folded.moment or folded.order[0], fact.key
            if folded.stored:
                supersedes[key] = Operation("supersede", kind, None, key, valid_from=folded.until,
                                            superseded_by=fact.key)
            else:
                inserts[key].valid_until, inserts[key].superseded_by = folded.until, fact.key
        inserts[fact.key] = Operation("insert", kind, fact.text, metadata=meta,
                                      valid_from=said_at.get(fact.key) or fact.moment,
                                      row_id=fact.key, valid_until=fact.until, superseded_by=fact.superseded_by)
        said.append(fact.key)
        by_key[fact.key] = fact
        placed.append(fact)
        if fact.superseded_by is not None:
            carry(fact, by_key[fact.superseded_by], meta)
        for key in result.closes:
            closed = by_key[key]
            at = fact.moment or fact.order[0]
            closed.until, closed.superseded_by = at, fact.key
            if closed.stored:
                supersedes[key] = Operation("supersede", kind, None, key, valid_from=at, superseded_by=fact.key)
                carry(closed, fact, metadata_of.get(key, {}))
            else:
                inserts[key].valid_until, inserts[key].superseded_by = at, fact.key
                carry(closed, fact, inserts[key].metadata or {})
    return [inserts[k] for k in said] + list(supersedes.values()), contradictions


def settle_namespace(store, namespace: str, marks: dict[str, str], skip_kind: Callable[[Any], bool]
                     ) -> tuple[list[Operation], list[tuple[str, str, str]], list[Operation]]:
    """Offline consolidation's update pass over a namespace's current memories: each memory new
    since the last run (``marks``: id -> content hash then) is compared with its most similar
    memories of the same kind; of two dated ones, a later one that changes an earlier one closes it
    (at the later one's time), leaving the clauses it does not touch as a memory of their own. Returns the
    operations, the contradictions found for the first time ((id, id, why): both kept) and the
    operations that mark those pairs so that they are not reported again."""
    rows = [(m, v) for m, v in store.embedded(namespace) if not skip_kind(m)]
    if len(rows) < 2:
        return [], [], []
    matrix = np.stack([v for _, v in rows])
    texts = [m.text for m, _ in rows]
    names = updates.subject_names(texts)
    frequent: frozenset[str] = frozenset()
    facts = [updates.Fact(m.id, m.text, (m.valid_from or m.created_at, 0, n), m.valid_from, names=names)
             for n, (m, _) in enumerate(rows)]
    fresh = [n for n, (m, _) in enumerate(rows) if marks.get(m.id) != m.content_hash]
    nearest: dict[int, list[tuple[int, float]]] = {}  # each fresh memory's most similar ones, with their cosines
    for n in fresh:
        scores = matrix @ matrix[n]
        nearest[n] = [(k, float(scores[k])) for k in np.argsort(-scores)[:NEIGHBOURS + 1].tolist()]
    # the kinds of things named, read for the memories compared only (not a whole large namespace)
    with_kinds(store.embedder, [facts[k] for k in sorted({k for near in nearest.values() for k, _ in near} | set(fresh))])
    operations: list[Operation] = []
    marking: dict[str, Operation] = {}
    contradictions: list[tuple[str, str, str]] = []
    closed: set[str] = set()
    seen: set[tuple[int, int]] = set()
    for n in fresh:
        for k, cosine in nearest[n]:
            pair = (min(n, k), max(n, k))
            if k == n or pair in seen or rows[k][0].kind != rows[n][0].kind:
                continue
            seen.add(pair)
            older, newer = sorted((facts[n], facts[k]), key=lambda f: f.order)
            if older.moment is None or newer.moment is None:
                continue  # when one of them held is unknown (put or imported undated): left to the clusters
            same_moment = older.moment is not None and older.moment == newer.moment
            verdict = updates.relation(older.text, newer.text, cosine, same_moment,
                                       (older.reading, newer.reading), frequent)
            if verdict == updates.CHANGES and older.key not in closed:
                closed.add(older.key)
                at = newer.moment or newer.order[0]
                kind = rows[n][0].kind
                operations.append(Operation("supersede", kind, None, older.key, valid_from=at, superseded_by=newer.key))
                rest = updates.remainder(older.text, newer.text, names)
                if rest is not None:
                    memory = store.get(older.key)
                    operations.append(Operation(
                        "insert", kind, rest, valid_from=at, row_id=str(uuid.uuid4()),
                        metadata={"evidence": list(memory.metadata.get("evidence") or []), "carried_from": older.key}))
            elif verdict == updates.CONFLICT:
                a, b = (rows[n][0], rows[k][0])
                if b.id in (a.metadata.get("contradicts") or []) or a.id in (b.metadata.get("contradicts") or []):
                    continue  # reported before
                contradictions.append((older.key, newer.key, "said at the same time with different values"))
                op = marking.get(newer.key) or Operation("update", b.kind if newer.key == b.id else a.kind, None,
                                                         newer.key)
                mine = a if newer.key == a.id else b
                op.content = mine.content
                op.metadata = {"contradicts": sorted({*(op.metadata or {}).get("contradicts", []),
                                                      *(mine.metadata.get("contradicts") or []), older.key})}
                marking[newer.key] = op
    return operations, contradictions, list(marking.values())


def date_model_inserts(store, namespace: str, operations: list[Operation]) -> list[Operation]:
    """A model's inserts obey time too: one older than a stored memory that changes it is stored
    already closed (valid until that memory's time, superseded by it). A model's newer facts replace
    old ones through its own updates, so nothing stored is closed here."""
    inserts = [op for op in operations if op.action == "insert" and isinstance(op.content, (str, dict))]
    if not inserts:
        return operations
    from langmem_cli.core.render import render

    texts = [render(op.kind, op.content) for op in inserts]
    vectors = np.asarray(store.embedder.embed(texts))
    for op, text, vector in zip(inserts, texts, vectors):
        moment = try_moment(op.valid_from)
        if moment is None:
            continue  # undated: said now, after everything stored
        known, known_vectors, metadata = stored_facts(store, namespace, op.kind, [text], vector[None, :])
        names = updates.subject_names(metadata.get("", {}).get("texts", []) + [text])
        fact = updates.Fact("new", text, (moment, 1, 0), moment, stored=False, names=names)
        for f in known:
            f.names, f.reading = names, updates.read(f.text, names)
        with_kinds(store.embedder, known + [fact])
        later = [(f, float(np.dot(known_vectors[i], vector))) for i, f in enumerate(known)
                 if f.until is None and f.moment is not None and f.moment > moment]
        changed_by = [f for f, cos in later
                      if updates.relation(text, f.text, cos, False, (fact.reading, f.reading)) == updates.CHANGES]
        if changed_by:
            successor = min(changed_by, key=lambda f: f.order)
            op.valid_until, op.superseded_by = successor.moment, successor.key
    return operations
