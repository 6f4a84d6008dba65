"""`langmem optimize-prompt` without a model (issue 26): lessons read from feedback become
instructions in a marked section, each with its quote; exit codes a CI job can trust."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from langmem_cli.core import lessons as L
from langmem_cli.core.prompt_optimizer import variables

ROOT = Path(__file__).resolve().parent.parent
CORRECTIONS = ROOT / "fixtures" / "trajectories" / "corrections.jsonl"
PROMPT = "You are the support assistant of Acme Cloud.\n\nBe friendly.\n"


def traj(*turns: str, feedback=None, **extra) -> str:
    """One JSONL trajectory: alternating user/assistant turns starting with the user."""
    roles = ("user", "assistant")
    messages = [{"role": roles[i % 2], "content": t} for i, t in enumerate(turns)]
    return json.dumps({"messages": messages, "feedback": feedback, **extra})


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def prompt(tmp_path):
    path = tmp_path / "support.md"
    path.write_text(PROMPT)
    return path


def report(cli, *args, code=0):
    return cli.json("optimize-prompt", *args, "--json", code=code)


# ---------------------------------------------------------------------------------------------
# Reading feedback: structure, not phrases


@pytest.mark.parametrize("text, negative, expected", [
    ("always answer in bullet points", False, "Always answer in bullet points."),
    ("show me a practical example instead", False, "Show the user a practical example."),
    ("too long", False, "Avoid answers that are too long."),
    ("Please don't apologise so much.", False, "Do not apologise so much."),
    ("Stop repeating my question back to me.", False, "Do not repeat their question back to the user."),
    ("did not look at the invoice", True, "Look at the invoice."),
    ("the user wanted the fix for region changes first", True, "Give the fix for region changes first."),
    ("Can you make it shorter?", False, "Make it shorter."),
    ("rambled", True, "Do not ramble."),
    ("You should have asked for the account id.", False, "Ask for the account id."),
])
def test_corrective_clauses_become_instructions(text, negative, expected):
    got = L.lessons_from_text(text, negative=negative, source="t.jsonl:1", origin="turn", trajectory=0)
    assert [l.instruction for l in got] == [expected]
    assert all(l.evidence.quote in text for l in got)  # the quote is the feedback's own words


def test_feedback_records_scores_and_labels():
    assert L.score_of(0.2) == 0.2 and L.score_of({"rating": 5}) == 1.0 and L.score_of(True) == 1.0
    assert L.score_of([{"key": "helpful", "score": 1}, {"key": "length", "score": 0}]) == 0.0
    lessons = L.trajectory_lessons([("user", "q"), ("assistant", "a")],
                                   [{"key": "length", "score": 0, "comment": "rambled"}], "t:1", 0)
    assert [l.instruction for l in lessons] == ["Do not ramble."]
    assert L.trajectory_lessons([], {"label": "thumbs down", "comment": "rambled"}, "t:1", 0)
    assert L.trajectory_lessons([], {"score": 1, "comment": "rambled, but fine"}, "t:1", 0) == []


@pytest.mark.parametrize("text", ["Short and direct, great.", "Thanks! Now how do I rotate a key?",
                                  "Explain how to rotate a key.", "I don't have a credit card, how do I pay?",
                                  "Perfect, exactly what I needed."])
def test_praise_and_follow_up_questions_teach_nothing(text):
    assert L.lessons_from_text(text, negative=False, source="t:1", origin="turn", trajectory=0) == []


# ---------------------------------------------------------------------------------------------
# The command


def test_offline_is_the_default_and_every_instruction_has_its_quote(cli, prompt):
    data = report(cli, prompt, "-t", CORRECTIONS)
    assert data["kind"] == "lessons" and data["model"] is None and data["calls"] == 0 and data["changed"]
    (outcome,) = data["prompts"]
    lines = CORRECTIONS.read_text().splitlines()
    assert outcome["instructions"]
    for instruction in outcome["instructions"]:
        assert instruction["evidence"], instruction
        for ev in instruction["evidence"]:
            file, line = ev["source"].rsplit(":", 1)
            assert Path(file) == CORRECTIONS
            assert ev["quote"] in json.loads(lines[int(line) - 1])["messages"][-1]["content"] + json.dumps(
                json.loads(lines[int(line) - 1])["feedback"])
    texts = [i["instruction"] for i in outcome["instructions"]]
    assert "Always answer in bullet points." in texts  # a standing rule: once is enough
    assert any("too long" in t for t in texts)  # "Too long", "way too long", "rambled": recurring
    assert not any("Short and direct" in ev["quote"] for i in outcome["instructions"] for ev in i["evidence"])


def test_check_then_in_place_then_nothing_to_change(cli, prompt, db_path):
    result = cli("optimize-prompt", prompt, "-t", CORRECTIONS, "--check", "--diff", code=1)
    assert "+- Always answer in bullet points." in result.stdout and prompt.read_text() == PROMPT
    cli("optimize-prompt", prompt, "-t", CORRECTIONS, "--in-place")
    first = prompt.read_text()
    assert first.startswith(PROMPT.rstrip("\n")) and L.SECTION_START in first and first.count(L.SECTION_END) == 1
    again = cli("optimize-prompt", prompt, "-t", CORRECTIONS, "--check", code=0)  # a second run changes nothing
    assert "contradictory" not in again.stderr and "0 new instructions" in again.stderr
    cli("optimize-prompt", prompt, "-t", CORRECTIONS, "--in-place")
    assert prompt.read_text() == first
    history = cli.json("prompt-history", "support")
    assert [v["kind"] for v in history] == ["original", "lessons", "lessons"]
    assert "corrections.jsonl:4" in history[1]["rationale"] and '"Please always answer in bullet points"' in history[1]["rationale"]


def test_later_runs_update_the_section_in_place(cli, prompt, tmp_path):
    prompt.write_text(PROMPT + f"\n{L.SECTION_START}\nLessons from user feedback:\n- Always answer in bullet points.\n"
                      f"- Cite the docs page.\n{L.SECTION_END}\n\nQuestion: {{question}}\n")
    before = prompt.read_text()
    t = write(tmp_path / "t.jsonl",
              traj("hi", "long answer", "always answer in bullet points"),
              traj("hi", "answer", "Never use tables."))
    cli("optimize-prompt", prompt, "-t", t, "--in-place")
    after = prompt.read_text()
    assert after.count("bullet points") == 1 and "- Cite the docs page.\n- Never use tables.\n" in after
    assert after.endswith("\n\nQuestion: {question}\n") and after.startswith(PROMPT)
    assert L.section_instructions(after) == ["Always answer in bullet points.", "Cite the docs page.", "Never use tables."]
    assert before != after


def test_no_feedback_or_praise_changes_nothing(cli, prompt, tmp_path):
    t = write(tmp_path / "t.jsonl", traj("How do I pay?", "Settings > Billing."),
              traj("Is it encrypted?", "Yes.", feedback={"score": 1, "comment": "Short and direct, great."}),
              traj("Hi", "Hello!", feedback=0.9))
    cli("optimize-prompt", prompt, "-t", t, "--check", code=0)
    data = report(cli, prompt, "-t", t)
    assert not data["changed"] and data["prompts"][0]["instructions"] == []
    empty = write(tmp_path / "empty.jsonl", "")
    assert "unchanged" in cli("optimize-prompt", prompt, "-t", empty, "--check", code=0).stderr


def test_template_variables_and_the_rest_of_the_prompt_are_untouched(cli, tmp_path):
    t = write(tmp_path / "t.jsonl", traj("q", "a", "always wrap code in {braces} and {{ jinja }} please"))
    for text in ("Answer {question} for {user}.\n\nContext: {context}\n",
                 "Hello {{ name }}.\n{% if vip %}Be formal.{% endif %}\n\n{{ question }}\n",
                 "No variables here, one paragraph only."):
        path = tmp_path / "p.md"
        path.write_text(text)
        cli("optimize-prompt", path, "-t", t, "--in-place")
        new = path.read_text()
        assert variables(new) == variables(text)
        section = new[new.index(L.SECTION_START):new.index(L.SECTION_END)]
        assert "{" not in section and "}" not in section and "Always wrap code in braces and jinja." in section
        outside = new.replace(new[new.index(L.SECTION_START):new.index(L.SECTION_END) + len(L.SECTION_END)], "")
        assert " ".join(outside.split()) == " ".join(text.split())
    assert new.startswith("No variables here, one paragraph only.\n\n" + L.SECTION_START)  # no place: appended
    path.write_text("Be brief.\n\nQuestion: {question}\n")
    cli("optimize-prompt", path, "-t", t, "--in-place")
    assert path.read_text().endswith(L.SECTION_END + "\n\nQuestion: {question}\n")  # before the input slot


def test_contradictory_feedback_majority_wins_a_tie_writes_neither(cli, prompt, tmp_path):
    t = write(tmp_path / "t.jsonl", traj("q", "a", "too long"), traj("q", "a", "Shorter please."),
              traj("q", "a", "I need more detail here."))
    result = cli("optimize-prompt", prompt, "-t", t, "--json")
    texts = [i["instruction"] for i in json.loads(result.stdout)["prompts"][0]["instructions"]]
    assert texts == ["Avoid answers that are too long."] and "gave way to" in result.stderr
    tie = write(tmp_path / "tie.jsonl", traj("q", "a", "too long"), traj("q", "a", "too short"))
    result = cli("optimize-prompt", prompt, "-t", tie, "--json", "--min-support", "1")
    assert json.loads(result.stdout)["prompts"][0]["instructions"] == [] and "a tie, neither written" in result.stderr


def test_deterministic(cli, tmp_path):
    outs = []
    for i in range(2):
        path = tmp_path / f"p{i}.md"
        path.write_text(PROMPT)
        outs.append(cli("optimize-prompt", path, "-t", CORRECTIONS, "--json").stdout.replace(f"p{i}", "p"))
    assert outs[0] == outs[1]


def test_lessons_go_to_the_prompt_the_step_names(cli, tmp_path):
    yaml = tmp_path / "app.yaml"
    yaml.write_text("# prompts of the app\nprompts:\n  - name: support  # the first\n"
                    "    prompt: \"Answer: {question}\"\n  - name: billing\n"
                    "    prompt: \"Explain the invoice {invoice}.\"  # keep the variable\n")
    t = write(tmp_path / "t.jsonl", traj("q", "a", "always answer in bullet points", step="billing"),
              traj("q", "a", "never guess the plan", step="nope"), traj("q", "a", "always name the doc page"))
    result = cli("optimize-prompt", yaml, "-t", t, "--in-place")
    text = yaml.read_text()
    assert "# prompts of the app" in text and "# the first" in text and "# keep the variable" in text
    from langmem_cli.formats.prompt_files import load_prompt_file

    support, billing = load_prompt_file(yaml).specs
    assert L.section_instructions(billing.prompt) == ["Always answer in bullet points."]
    assert L.section_instructions(support.prompt) == ["Never guess the plan.", "Always name the doc page."]
    assert variables(billing.prompt) == {"invoice"} and "1 trajectories name a step" in result.stderr


def test_several_prompt_files(cli, tmp_path):
    first, second = tmp_path / "router.md", tmp_path / "writer.md"
    first.write_text("Route the request.\n")
    second.write_text("Write the reply.\n")
    t = write(tmp_path / "t.jsonl", traj("q", "a", "always sign with the team name", step="writer"))
    result = cli("optimize-prompt", first, second, "-t", t, "--check", "--diff", code=1)
    assert "b/" + str(second) in result.stdout and "b/" + str(first) not in result.stdout
    cli("optimize-prompt", first, second, "-t", t, "--in-place")
    assert first.read_text() == "Route the request.\n" and "Always sign with the team name." in second.read_text()
    cli("optimize-prompt", first, second, "-t", t, "-o", tmp_path / "x.md", code=2)
    first.write_text("- name: writer\n  prompt: again\n")
    (tmp_path / "dup.yaml").write_text("- name: writer\n  prompt: again\n")
    assert "also in" in cli("optimize-prompt", tmp_path / "dup.yaml", second, "-t", t, code=4).stderr


# ---------------------------------------------------------------------------------------------
# Exit codes: 0 nothing to change, 1 would change, every error its own code


def test_errors_have_their_own_exit_codes(cli, prompt, tmp_path):
    from support.openai_server import closed_port

    assert "needs a model" in cli("optimize-prompt", prompt, "-t", CORRECTIONS, "--kind", "gradient", "--check",
                                  code=7).stderr
    unreachable = cli("optimize-prompt", prompt, "-t", CORRECTIONS, "--check", "--model", "openai/x",
                      "--api-base", f"http://127.0.0.1:{closed_port()}/v1", "--retries", "0", "--timeout", "2",
                      env={"OPENAI_API_KEY": "sk-test"}, code=7)
    assert "Traceback" not in unreachable.output
    assert "no trajectories file" in cli("optimize-prompt", prompt, "-t", tmp_path / "no.jsonl", "--check", code=8).stderr
    bad = write(tmp_path / "bad.jsonl", traj("q", "a", "too long"), "{oops")
    assert f"{bad}:2" in cli("optimize-prompt", prompt, "-t", bad, "--check", code=8).stderr
    (tmp_path / "bad.yaml").write_text("prompts: [\n")
    assert "bad.yaml" in cli("optimize-prompt", tmp_path / "bad.yaml", "-t", CORRECTIONS, "--check", code=4).stderr
    assert "no such prompt file" in cli("optimize-prompt", tmp_path / "no.md", "-t", CORRECTIONS, "--check",
                                        code=4).stderr
    assert prompt.read_text() == PROMPT


def test_huge_trajectory_files_are_streamed(tmp_path):
    """A 20,000-trajectory file (about 6 MB) is read a line at a time: the optimizer's peak memory
    stays far below the file's size."""
    import tracemalloc

    from langmem_cli.formats.prompt_files import load_prompt_file
    from langmem_cli.jobs.optimize import OptimizeOptions, run_offline

    path = tmp_path / "huge.jsonl"
    line = traj("How do I pay? " * 10, "Settings > Billing. " * 10, feedback={"score": 1, "comment": "great"})
    with path.open("w") as fp:
        for _ in range(20_000):
            fp.write(line + "\n")
    prompt = tmp_path / "p.md"
    prompt.write_text(PROMPT)
    tracemalloc.start()
    result = run_offline(None, [load_prompt_file(prompt)], path, OptimizeOptions(kind="lessons"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.trajectories == 20_000 and not result.changed
    assert peak < path.stat().st_size / 4, (peak, path.stat().st_size)


# ---------------------------------------------------------------------------------------------
# The scripted model is test code; --model says what each command does without one


def test_the_scripted_model_is_not_in_the_package():
    package = ROOT / "langmem_cli"
    assert not (package / "llm" / "fake_llm.py").exists()
    offenders = [str(p) for p in package.rglob("*.py") if "FakeProvider" in p.read_text() or "fake/" in p.read_text()]
    assert offenders == []
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-c", "import langmem_cli.llm.fake_llm"], env=env, capture_output=True,
                          text=True)
    assert proc.returncode != 0


@pytest.mark.parametrize("command, says", [("optimize-prompt", "offline optimizer"), ("extract", "offline extractor"),
                                           ("consolidate", "near-duplicates"), ("watch", "offline extractor")])
def test_model_help_says_what_happens_without_one(cli, command, says):
    text = " ".join(cli(command, "--help", env={"COLUMNS": "400"}).stdout.split())
    assert "Without one" in text and says in text
