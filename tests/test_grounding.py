"""Issue 11: the grounding gate, the offline extractor "local", provenance on every memory, offline
profiles, and what the demo stores (every memory supported by its fixture transcript)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from langmem_cli.core import dates
from langmem_cli.core.conversation import Conversation, Message, conversation_id
from langmem_cli.core.grounding import Candidate, check, eligible, normalize
from langmem_cli.core.statements import statements, third_person
from langmem_cli.formats import read_conversations
from tests.test_extract import FAKE

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "transcripts"
ALL_FIXTURES = sorted(FIXTURES.iterdir())


def conversations(path: Path) -> list[Conversation]:
    return list(read_conversations(str(path)))


# -- the gate ----------------------------------------------------------------------------------------

def test_gate_refuses_tool_output_system_text_and_assistant_claims_on_every_format():
    reasons = {}
    for path in ALL_FIXTURES:
        reasons.update({(path.name, r): 1 for r in refusals(path)})
    seen = {r for _, r in reasons}
    assert {"quote is from tool output", "quote is from system text",
            "quote is the assistant's own claim (not confirmed by the user)"} <= seen
    assert any("context" in r for r in seen)  # sidechains, thinking, machine-made turns
    assert len({name for name, _ in reasons}) >= len(ALL_FIXTURES) - 1


def refusals(path: Path) -> list[str]:
    """Quote every message that may not be evidence: the gate must refuse each (and say why)."""
    out = []
    for conversation in conversations(path):
        allowed = eligible(conversation.messages)
        said = " ".join(normalize(m.content) for m, ok in zip(conversation.messages, allowed) if ok)
        for message, ok in zip(conversation.messages, allowed):
            text = " ".join(message.content.split())[:120]
            if ok or len(text) < 12 or normalize(text) in said:
                continue
            verdict = check([Candidate(text, [text])], conversation)
            assert not verdict.accepted, (path.name, message.role, text)
            assert verdict.rejected[0].reason.startswith("quote is"), verdict.rejected[0].reason
            out.append(verdict.rejected[0].reason.split(":")[0])
    return out


def test_quote_must_be_found_and_support_the_memory():
    c = Conversation([Message("system", "You are a helpful cooking assistant."),
                      Message("user", "I just adopted a second cat, a grey tabby called Pixel."),
                      Message("assistant", "Pixel sounds lovely! Is she a blue-eyed cat?"),
                      Message("user", "Yes, she is.")], {}, "f.jsonl:1")
    verdict = check([
        Candidate("The user adopted Pixel, a grey tabby cat", ["I just adopted a second cat, a grey tabby called Pixel"]),
        Candidate("She loves chocolate and has a sweet tooth", ["I just adopted a second cat"]),
        Candidate("The user loves chocolate", ["I love chocolate"]),
        Candidate("The user is a cooking assistant", ["You are a helpful cooking assistant."]),
        Candidate("Pixel is a grey tabby with a white tail", ["I just adopted a second cat, a grey tabby called Pixel"]),
        Candidate("The user does not have a cat", ["I just adopted a second cat"]),
        Candidate("Pixel is a blue-eyed cat", ["Pixel sounds lovely! Is she a blue-eyed cat?"]),  # the user confirmed it
    ], c)
    assert [a.text for a, _ in verdict.accepted] == ["The user adopted Pixel, a grey tabby cat", "Pixel is a blue-eyed cat"]
    reasons = [r.reason for r in verdict.rejected]
    assert "not supported" in reasons[0] and "not found" in reasons[1] and "system" in reasons[2]
    assert "not in the quotes" in reasons[3] or "not supported" in reasons[3]
    assert "negates" in reasons[4]
    evidence = verdict.accepted[0][1][0]
    assert evidence == {"file": "f.jsonl", "conversation": "f.jsonl:1", "message": 1, "line": None, "role": "user",
                        "speaker": "user", "quote": "I just adopted a second cat, a grey tabby called Pixel"}


# -- the offline extractor -------------------------------------------------------------------------

def test_rewrite_attributes_speakers_and_resolves_dates():
    assert third_person("I went to a support group yesterday.", "Caroline") == "Caroline went to a support group yesterday."
    assert third_person("My sister loves orchids and I love her.", "Ann") == "Ann's sister loves orchids and they love her."
    when = dates.parse("2023-05-08T13:56:00")
    assert dates.resolve("Caroline went there yesterday", when)[0] == "Caroline went there on 7 May 2023"
    assert dates.resolve("starting next Monday", when)[0] == "starting on Monday 15 May 2023"
    assert dates.resolve("last year", when)[0] == "in 2022"
    c = Conversation([Message("user", "Hey Mel! How are you?", name="Caroline", timestamp="2023-05-08T13:56:00"),
                      Message("user", "Wow, cool!", name="Melanie"),
                      Message("user", "I went to a LGBTQ support group yesterday and it was so powerful.", name="Caroline",
                              timestamp="2023-05-08T13:57:00")], {}, "s")
    [memory] = statements(c)
    assert dates.parse("1:56 pm on 8 May, 2023") is None  # a data set's own format is the bench's to convert
    assert memory.text == "Caroline went to a LGBTQ support group on 7 May 2023 and it was powerful."
    assert memory.valid_from == "2023-05-08T13:57:00"


def test_nothing_worth_keeping_stores_nothing(cli, tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(m) + "\n" for m in (
        {"role": "user", "content": "Hi! How are you?"}, {"role": "assistant", "content": "Fine, thanks. You?"},
        {"role": "user", "content": "Thanks!"})))
    result = cli("extract", path, "-n", "u/a", "--json")
    assert json.loads(result.stdout)["summary"]["inserted"] == 0
    assert "nothing worth keeping" in result.stderr and cli.json("list") == []


def test_local_extract_provenance_in_get_history_json_and_export_import(cli, cli_for, tmp_path):
    report = cli.json("extract", FIXTURES / "messages.jsonl", "-n", "u/alice", "--json")
    assert report["model"] == "local" and report["summary"]["calls"] == 0
    ops = [op for c in report["conversations"] for op in c["operations"]]
    ids = [op["id"] for op in ops]
    assert ids and all(ids)  # the report names the new memories
    stamps = {json.loads(line)["timestamp"] for line in (FIXTURES / "messages.jsonl").read_text().splitlines() if line}
    assert all(op["valid_from"] in stamps for op in ops)  # when it was said, not when the job ran
    memory = cli.json("get", ids[0])
    [evidence] = memory["metadata"]["evidence"]
    assert set(evidence) == {"file", "conversation", "message", "line", "role", "speaker", "quote"}
    assert evidence["role"] == "user" and evidence["line"] and evidence["file"].endswith("messages.jsonl")
    assert cli.json("history", ids[0])[0]["after"]["metadata"]["evidence"] == [evidence]
    run = [r for r in cli.json("runs") if r["command"] == "extract"][0]
    assert run["model"] == "local" and run["rejected"] == 0
    dump = tmp_path / "dump.jsonl"
    cli("export", "-o", dump)
    other = cli_for(tmp_path / "other.db")
    other("import", dump)
    assert other.json("get", ids[0])["metadata"]["evidence"] == [evidence]


def test_offline_profile_fills_only_grounded_fields(cli):
    schema = ROOT / "fixtures" / "schemas" / "user_profile.json"
    cli("extract", FIXTURES / "messages.jsonl", "-n", "demo/dana", "--schema", schema, "--profile")
    [doc] = cli.json("list", "-n", "demo/dana")
    assert doc["content"] == {"food_preferences": ["vegetarian", "doesn't eat eggs either"],
                              "job": "a nurse at St. Mary's", "pets": ["Biscuit"]}  # no name was said
    assert {e["field"] for e in doc["metadata"]["evidence"]} == {"food_preferences", "job", "pets"}


# -- with a model: quotes asked, re-asked once, then rejected ---------------------------------------

GROUNDED = [("Alice is vegetarian and does not eat eggs", "I'm vegetarian, and I don't eat eggs either"),
            ("Alice works late shifts as a nurse at St. Mary's", "I work late shifts as a nurse at St. Mary's"),
            ("Alice is going to Lisbon in May", "we're going to Lisbon in May")]
INVENTED = [("Alice loves chocolate and has a sweet tooth", "I love chocolate"),
            ("Alice is a friendly personal assistant", "You are a friendly personal assistant"),
            ("Alice will cook chickpea and spinach curry on Monday", "Monday: chickpea and spinach curry"),
            ("Biscuit is a grey tabby with a blue face", "our dog Biscuit gets the leftovers"),
            ("Alice lives in Porto", "")]


@pytest.mark.fake_script(auto=False)
def test_scripted_model_invented_facts_all_rejected_grounded_none(cli, fake):
    ops = [{"action": "insert", "id": None, "content": t, "quotes": [q] if q else []} for t, q in GROUNDED + INVENTED]
    fake.replies.extend([{"json": {"operations": ops}},
                         {"json": {"quotes": [["I love chocolate"], [], []]}},  # wrong count: asked again
                         {"json": {"quotes": [["I love chocolate"], []]}}])
    report = cli.json("extract", FIXTURES / "messages.jsonl", "-n", "u/alice", *FAKE, "--json")
    stored = sorted(m["text"] for m in cli.json("list", "-n", "u/alice"))
    assert stored == sorted(t for t, _ in GROUNDED)  # 0 % of the grounded rejected
    rejected = report["conversations"][0]["rejected"]
    assert sorted(r["text"] for r in rejected) == sorted(t for t, _ in INVENTED)  # 100 % of the invented
    assert report["summary"]["rejected"] == len(INVENTED)
    asked = [p for p in fake.prompts if p["schema"] == "QuoteReply"]
    assert asked and "Alice loves chocolate" in asked[0]["messages"][0]["content"]  # re-asked once
    fake.replies.extend([{"json": {"operations": ops}}, {"json": {"quotes": [[], []]}}])
    shown = cli("extract", FIXTURES / "messages.jsonl", "-n", "u/alice2", *FAKE, "--show-rejected", "--no-json")
    assert "rejected" in shown.stdout and "sweet tooth" in shown.stdout and "quote not found" in shown.stdout


# -- the demo stores only what the fixture transcripts say -------------------------------------------

def demo_extracts() -> list[list[str]]:
    commands = []
    for line in (ROOT / "demo.sh").read_text().splitlines():
        if line.startswith("run ") and " extract " in line:
            commands.append([a for a in shlex.split(line)[1:] if a != "--no-json"])
    return commands


def test_every_memory_the_demo_stores_is_supported_by_its_fixture(cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert len(demo_extracts()) >= 3
    for args in demo_extracts():
        cli(*args, "--json")
    memories = cli.json("list", "--limit", "1000")
    assert len(memories) >= 8
    forbidden = ("tool call", "You're a helpful", "helpful cooking assistant", "[tool", "Read:", "sweet tooth",
                 "white tail", "Sunny", "24°C")
    for m in memories:
        assert not any(f in m["text"] for f in forbidden), m["text"]
        evidence = m["metadata"]["evidence"]
        assert evidence
        for e in evidence:
            [conversation] = [c for c in conversations(Path(e["file"])) if conversation_id(c) == e["conversation"]]
            message = conversation.messages[e["message"]]
            assert eligible(conversation.messages)[e["message"]] and message.role == "user"
            assert normalize(e["quote"]) in normalize(message.content)
    profile = [m for m in memories if m["kind"] == "user_profile"]
    assert profile and "name" not in profile[0]["content"]  # "Sam" is the partner, not the user
    # one person per namespace: Dana's coding session and Carol's trip planning are not one person
    said_by = {m["namespace"]: set() for m in memories}
    for m in memories:
        said_by[m["namespace"]].update(n for n in ("Carol", "Dana") if m["text"].startswith(n))
    assert all(len(names) <= 1 for names in said_by.values()), said_by


def test_scripted_replies_on_every_fixture_invented_never_stored_grounded_never_refused():
    import importlib.util

    spec = importlib.util.spec_from_file_location("grounding_scripted", ROOT / "bench" / "grounding_scripted.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    counts, problems = bench.measure()
    assert counts["invented"][0] >= 40 and counts["invented"][1] == counts["invented"][0], problems
    assert counts["grounded"][0] >= 25 and counts["grounded"][1] == 0, problems
