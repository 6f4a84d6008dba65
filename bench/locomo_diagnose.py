"""Why `extract` misses answers on LoCoMo (issue 24): a diagnosis of bench/locomo_e2e.py's misses.

For each question of categories 1, 2, 4 whose answer was not found in the top 10 of the extracted
memory (the metric of bench/locomo_e2e.py), the answer's content words that the top 10 lack are
looked for:

(b) ranking: every one of them is in some memory of the namespace valid now
    - "with its evidence": in the memories that quote the question's evidence turns;
    - "elsewhere": only in other memories (the words are stored, maybe not as this fact);
(a) extraction loss: some word is in no memory valid now ("closed by an update" when a
    superseded memory holds it). Each lost word is then traced to where the transcript has it:
    the evidence turns first (then any turn), its sentence put through the offline extractor's
    steps (core/statements.py) to say where it was lost: an image caption, a question, a short
    reply (under 4 words, or under 6 without "I"), a sentence dropped by a filter (greeting or
    reaction start, about the other person, too few content words, a fragment, hanging on "it"),
    not selected (the turn's best statement was another one and this one is not specific, or a
    near-copy), rewritten away (selected, but the statement lacks the word: fillers cut, long
    sentence cut), lost after selection (grounding gate, a copy of a stored memory, or an update),
    or not in the transcript's words at all (the answer paraphrases or infers).

    python bench/locomo_diagnose.py --keep DIR   # DIR from `bench/locomo_e2e.py --keep DIR`
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from locomo import DEFAULT_DATA  # noqa: E402
from locomo_e2e import (  # noqa: E402
    K,
    answer_words,
    conversation_records,
    date_words,
    langmem,
    namespace_of,
    questions,
    score,
    search_all,
)

TOKENS = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> set[str]:
    return set(TOKENS.findall(str(text).lower()))


def sentence_fate(sentence: str, kept_quotes: dict[str, list[str]]) -> str:
    """Where the offline extractor leaves this sentence (of a user turn)."""
    from langmem_cli.core import statements as st

    raw = sentence
    if raw.lstrip().startswith("["):
        return "image caption"
    said = st.clauses(st.clean(raw.replace("\u2019", "'")))
    if "?" in said:
        return "a question"
    if st.fragment(said):
        return "filtered: fragment / request"
    if st.dangling(said):
        return "filtered: hangs on it/this"
    if len(said.split()) < st.MIN_WORDS:
        return "short reply (< 4 words)"
    if not st.worth_keeping(said):
        low = set(st.words(said))
        if st._DROP_START.match(said) or st.command(said):
            return "filtered: greeting/reaction start"
        if not low & (st.FIRST | st.GROUP) and len(said.split()) < 6:
            return "short reply (< 6 words, no I)"
        if not low & (st.FIRST | st.GROUP) and low & {"you", "your", "you're", "you've", "yours"}:
            return "filtered: about the other person"
        return "filtered: few content words"
    if raw not in kept_quotes and said not in kept_quotes and not any(said in q or raw in q for c in kept_quotes.values() for q in c.quotes):
        # the turn keeps its best statement and the specific ones: a sentence left out while its turn
        # keeps another and it is not specific is the budget; otherwise a near-copy of a kept one
        specific = bool(re.search(r"\d|(?<!^)(?<![.!?;] )\b[A-Z][a-z]+", said))
        return "not selected: budget (not the turn's best, not specific)" if kept_quotes and not specific \
            else "not selected: near-copy of a kept statement"
    return "selected"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--keep", type=Path, required=True, help="the --keep directory of a bench/locomo_e2e.py run")
    parser.add_argument("--samples", type=int, default=None)
    parser.add_argument("--examples", type=int, default=0, help="print this many examples per cause")
    parser.add_argument("--json-out", type=Path, default=None)
    args = parser.parse_args()

    from langmem_cli.core.statements import sentences, statements
    from langmem_cli.formats.read import read_conversations

    samples = json.loads(args.data.read_text())[: args.samples]
    db = args.keep / "extract.db"
    qs = questions(samples)
    where: dict[str, dict[tuple[int, int], str]] = {}
    turn_of: dict[str, dict[str, tuple[int, int, str]]] = {}  # sample -> dia_id -> (line, message, text)
    statements_of: dict[str, dict[tuple[int, int], list]] = {}  # sample -> (line, message) -> candidates
    for sample in samples:
        sid = str(sample.get("sample_id"))
        lines, where[sid] = conversation_records(sample)
        texts = {}
        for n, line in enumerate(lines, start=1):
            for m, msg in enumerate(json.loads(line)["messages"]):
                texts[(n, m)] = msg["content"]
        turn_of[sid] = {dia: (*key, texts[key]) for key, dia in where[sid].items()}
        by_turn: dict[tuple[int, int], list] = collections.defaultdict(list)
        stream = io.BytesIO("".join(line + "\n" for line in lines).encode())
        for n, conversation in enumerate(read_conversations(f"{sid}.jsonl", "conversations", stream=stream), start=1):
            index = {id(m): i for i, m in enumerate(conversation.messages)}
            for c in statements(conversation):
                quote = c.quotes[0]
                at = next((i for i, m in enumerate(conversation.messages) if quote in m.content.replace("\u2019", "'")), None)
                if at is not None:
                    by_turn[(n, at)].append(c)
            del index
        statements_of[sid] = by_turn

    saved = args.keep / "results-extract.json"
    results = json.loads(saved.read_text()) if saved.exists() else search_all(db, qs, args.keep, "extract")
    scores = score(qs, results, where)

    current: dict[str, list[dict]] = {}
    expired: dict[str, list[dict]] = {}
    for sample in samples:
        ns = namespace_of(sample)
        sid = str(sample.get("sample_id"))
        now = json.loads(langmem(db, "list", "-n", ns, "--limit", "1000000") or "[]")
        every = json.loads(langmem(db, "list", "-n", ns, "--limit", "1000000", "--include-expired") or "[]")
        ids = {m["id"] for m in now}
        current[sid] = now
        expired[sid] = [m for m in every if m["id"] not in ids]

    def memory_words(m: dict) -> set[str]:
        return tokens(m.get("text") or "") | date_words(m.get("valid_from"))

    def evidence_dias(m: dict, sid: str) -> set[str]:
        return {where[sid].get((e.get("line"), e.get("message"))) for e in (m.get("metadata") or {}).get("evidence") or []}

    cause_q: collections.Counter = collections.Counter()
    cause_w: collections.Counter = collections.Counter()
    by_category: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    by_sample: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    examples: dict[str, list[str]] = collections.defaultdict(list)
    scored = missed = 0
    for q in qs:
        s = scores[q["id"]]
        if s["found"] is None:
            continue
        scored += 1
        if s["found"]:
            continue
        missed += 1
        sid = q["sample"]
        top: set[str] = set()
        for h in results.get(q["id"], [])[:K]:
            top |= tokens(h.get("text") or "") | date_words(h.get("valid_from"))
        lacking = answer_words(q["answer"]) - top
        stored: set[str] = set().union(*(memory_words(m) for m in current[sid]))
        with_evidence: set[str] = set().union(*(memory_words(m) for m in current[sid] if evidence_dias(m, sid) & q["evidence"]), set())
        lost = lacking - stored
        if not lost:
            cause = "(b) ranking: stored with its evidence" if lacking <= with_evidence else "(b) ranking: stored elsewhere"
            causes = [cause]
        else:
            causes = []
            closed: set[str] = set().union(*(memory_words(m) for m in expired[sid]), set())
            for w in sorted(lost):
                if w in closed:
                    causes.append("(a) closed by an update")
                    continue
                causes.append("(a) " + trace(w, q, sid, turn_of[sid], statements_of[sid], current[sid], sentences))
            cause = collections.Counter(causes).most_common(1)[0][0]
        cause_q[cause] += 1
        by_category[str(q["category"])][cause] += 1
        by_sample[sid][cause] += 1
        for c in causes:
            cause_w[c] += 1
        if len(examples[cause]) < args.examples:
            examples[cause].append(f"{q['id']} Q: {q['query']} A: {q['answer']} | lost: {sorted(lost) or sorted(lacking)}"
                                   f" | evidence: " + " // ".join(turn_of[sid][d][2][:160] for d in sorted(q["evidence"]) if d in turn_of[sid]))

    print(f"\nMissed answers of the extracted memory: {missed} of {scored} answer-scored questions (categories 1, 2, 4)\n")
    print("| cause (question's main cause) | questions | share of misses | lost words with this cause |")
    print("|---|---|---|---|")
    for cause in sorted(cause_q, key=lambda c: (c[:3], -cause_q[c])):
        print(f"| {cause} | {cause_q[cause]} | {100 * cause_q[cause] / missed:.1f} % | {cause_w[cause]} |")
    a = sum(v for c, v in cause_q.items() if c.startswith("(a)"))
    print(f"\n(a) extraction loss: {a} ({100 * a / missed:.1f} %); (b) ranking: {missed - a} ({100 * (missed - a) / missed:.1f} %)")
    print("\nBy category: (a) / (b)")
    for c, counter in sorted(by_category.items()):
        aa = sum(v for k, v in counter.items() if k.startswith("(a)"))
        print(f"  category {c}: {aa} / {sum(counter.values()) - aa}")
    print("By conversation: (a) / (b)")
    for sid, counter in sorted(by_sample.items()):
        aa = sum(v for k, v in counter.items() if k.startswith("(a)"))
        print(f"  {sid}: {aa} / {sum(counter.values()) - aa}")
    for cause, items in sorted(examples.items()):
        print(f"\n## {cause}")
        for item in items:
            print("  " + item)
    if args.json_out:
        args.json_out.write_text(json.dumps({"missed": missed, "scored": scored, "questions": cause_q, "words": cause_w,
                                             "by_category": by_category, "by_sample": by_sample}, indent=1))
    return 0


def trace(word: str, q: dict, sid: str, turns: dict, by_turn: dict, memories: list[dict], sentences) -> str:
    """Where the transcript says ``word`` and where the offline extractor lost it."""
    texts = {m.get("text") for m in memories}
    places = [d for d in sorted(q["evidence"]) if d in turns] + [d for d in turns if d not in q["evidence"]]
    for dia in places:
        line, message, text = turns[dia]
        if word not in tokens(text):
            continue
        candidates = by_turn.get((line, message), [])
        kept_quotes = {c.quotes[0]: c for c in candidates}
        where_ = "" if dia in q["evidence"] else " [not the evidence turn]"
        for sentence in sentences(text):
            if word not in tokens(sentence):
                continue
            fate = sentence_fate(sentence, kept_quotes)
            if fate != "selected":
                return fate + where_
            c = next((c for quote, c in kept_quotes.items() if quote in sentence or sentence in quote), None)
            if c is not None and word not in tokens(c.text):
                return "rewritten away" + where_
            if c is not None and c.text not in texts:
                return "lost after selection (gate, copy, update)" + where_
            return "selected, stored under other words" + where_
        return "split across sentences" + where_
    return "not in the transcript's words"


if __name__ == "__main__":
    raise SystemExit(main())
