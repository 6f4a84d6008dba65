"""`langmem optimize-prompt` with the scripted fake model: call counts, variables, files, --check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FAKE
from support.fake_llm import SCRIPT
from langmem_cli.core.prompt_optimizer import escape_braces, normalise_output, variables

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TRAJ = FIXTURES / "trajectories" / "support.jsonl"
pytestmark = [pytest.mark.usefixtures("fake"), pytest.mark.fake_script(auto=False)]
BASE = "You are the support assistant of Acme Cloud. Answer the customer's question: {question}\n\nBe friendly."


@pytest.fixture
def prompt(tmp_path):
    path = tmp_path / "support.md"
    path.write_text(BASE + "\n")
    return path


def j(value):
    return json.dumps(value)


def reflect(done=True, change=True):
    return j({"analysis": "answers are long", "critique": "", "change_needed": change,
              "recommendations": "lead with the fix", "done": done})


NEW = "You are the support assistant of Acme Cloud. Answer: {question}\nLead with the fix in two sentences."


def test_gradient_reflects_then_applies(cli, fake, prompt):
    fake.replies.extend([reflect(done=False), reflect(done=True), j({"new_prompt": NEW, "rationale": "shorter"})])
    report = cli.json("optimize-prompt", prompt, "-t", TRAJ, *FAKE, "--in-place", "--json")
    assert report["calls"] == 3 and report["changed"] and report["prompts"][0]["rationale"] == "shorter"
    assert prompt.read_text() == NEW + "\n"
    assert "<trajectory 5>" in fake.prompts[0]["messages"][1]["content"]


def test_gradient_min_and_max_steps(cli, fake, prompt):
    fake.replies.extend([reflect(done=True)] * 3 + [j({"new_prompt": NEW})])
    cli("optimize-prompt", prompt, "-t", TRAJ, *FAKE, "--min-reflection-steps", "3", "--json")
    assert len(fake.prompts) == 4  # 3 reflections (min) + apply
    fake.reset(auto=False)
    fake.replies.extend([reflect(done=False)] * 2 + [j({"new_prompt": NEW})])
    cli("optimize-prompt", prompt, "-t", TRAJ, *FAKE, "--max-reflection-steps", "2", "--json")
    assert len(fake.prompts) == 3  # capped at 2 reflections + apply


def test_gradient_no_change_warranted(cli, fake, prompt):
    fake.replies.extend([reflect(change=False)])
    report = cli.json("optimize-prompt", prompt, "-t", TRAJ, *FAKE, "--in-place", "--json")
    assert report["calls"] == 1 and not report["changed"] and prompt.read_text() == BASE + "\n"


def test_metaprompt_stops_as_soon_as_it_has_a_prompt(cli, fake, prompt):
    fake.replies.extend([j({"reasoning": "thinking", "change_needed": True, "new_prompt": None}),
                         j({"reasoning": "got it", "change_needed": True, "new_prompt": NEW}),
                         j({"reasoning": "never asked", "change_needed": True, "new_prompt": "x"})])
    report = cli.json("optimize-prompt", prompt, "-t", TRAJ, *FAKE, "--kind", "metaprompt", "--json")
    assert report["calls"] == 2 and report["changed"] and len(fake.replies) == 1


def test_prompt_memory_no_update_returns_the_original(cli, fake, prompt, tmp_path):
    fake.replies.extend([j({"update": False, "new_prompt": "", "rationale": "fine"})])
    out = tmp_path / "out.md"
    cli("optimize-prompt", prompt, "-t", TRAJ, *FAKE, "--kind", "prompt_memory", "-o", out)
    assert out.read_text() == prompt.read_text() == BASE + "\n" and len(fake.prompts) == 1


def test_dropped_variable_is_rejected_and_retried(cli, fake, prompt):
    fake.replies.extend([j({"update": True, "new_prompt": "Answer briefly."}),
                         j({"update": True, "new_prompt": "Answer {question} briefly; JSON like {\"a\": 1}."})])
    cli("optimize-prompt", prompt, "-t", TRAJ, *FAKE, "--kind", "prompt_memory", "--in-place")
    assert "drops the template variable(s) {question}" in fake.prompts[1]["messages"][-1]["content"]
    assert prompt.read_text() == 'Answer {question} briefly; JSON like {{"a": 1}}.\n'


def test_model_that_keeps_dropping_variables_fails_and_leaves_the_file(cli, fake, prompt):
    fake.replies.extend([j({"update": True, "new_prompt": "Answer {query}."})] * 3)
    result = cli("optimize-prompt", prompt, "-t", TRAJ, *FAKE, "--kind", "prompt_memory", "--in-place", code=7)
    assert "invents the variable(s) {query}" in result.stderr and "Traceback" not in result.output
    assert prompt.read_text() == BASE + "\n"


def test_check_is_a_ci_gate_and_writes_nothing(cli, fake, prompt, db_path):
    fake.replies.extend([j({"update": True, "new_prompt": NEW})])
    cli("optimize-prompt", prompt, "-t", TRAJ, *FAKE, "--kind", "prompt_memory", "--check", code=1)
    assert prompt.read_text() == BASE + "\n"
    fake.replies.extend([j({"update": False})])
    cli("optimize-prompt", prompt, "-t", TRAJ, *FAKE, "--kind", "prompt_memory", "--check", code=0)
    assert "no recorded versions" in cli("prompt-history", "support", code=3).stderr


def test_multi_prompt_yaml_only_the_chosen_prompt_changes(cli, fake, tmp_path):
    path = tmp_path / "app.yaml"
    path.write_text((FIXTURES / "prompts" / "app.yaml").read_text())
    fake.replies.extend([j({"prompts": ["support"], "rationale": "support tone"}),
                         j({"update": True, "new_prompt": "You are Acme's support assistant. Be brief. Answer: {question}"})])
    report = cli.json("optimize-prompt", path, "-t", TRAJ, *FAKE, "--kind", "prompt_memory", "--in-place", "--json")
    classifier_prompt = fake.prompts[0]["messages"][1]["content"]
    assert "When to update: Feedback about invoice" in classifier_prompt and "Keep it under 100 words" in classifier_prompt
    assert report["calls"] == 2 and [p["name"] for p in report["prompts"]] == ["support"]
    from ruamel.yaml import YAML

    doc = YAML(typ="safe").load(path.read_text())
    original = YAML(typ="safe").load((FIXTURES / "prompts" / "app.yaml").read_text())
    assert doc["prompts"][1] == original["prompts"][1]  # billing untouched, braces and all
    assert doc["prompts"][0]["prompt"] == "You are Acme's support assistant. Be brief. Answer: {question}"


def test_yaml_rewrite_keeps_comments_and_layout(cli, fake, tmp_path):
    path = tmp_path / "app.yaml"
    original = (
        "# Prompts of the app: reviewed by the support team\n"
        "prompts:\n"
        "  - name: support   # the main one\n"
        "    prompt: 'Answer the customer: {question}'\n"
        "    when_to_update: \"Feedback about tone.\"\n"
        "  # billing is owned by finance\n"
        "  - name: billing\n"
        "    prompt: |\n"
        "      You explain invoices.\n"
        "      Return JSON like {{\"total\": 0}} for: {invoice}\n"
    )
    path.write_text(original)
    fake.replies.extend([j({"prompts": ["support"], "rationale": "tone"}),
                         j({"update": True, "new_prompt": "Answer briefly: {question}"})])
    cli("optimize-prompt", path, "-t", TRAJ, *FAKE, "--kind", "prompt_memory", "--in-place")
    assert path.read_text() == original.replace("'Answer the customer: {question}'", "'Answer briefly: {question}'")


def test_json_prompt_file_keeps_format_and_history(cli, fake, tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps([{"name": "greeter", "prompt": "Say hello to {name}."}]))
    fake.replies.extend([j({"update": True, "new_prompt": "Greet {name} warmly.", "rationale": "warmer"})])
    cli("optimize-prompt", path, "-t", TRAJ, *FAKE, "--kind", "prompt_memory", "--in-place")
    assert json.loads(path.read_text()) == [{"name": "greeter", "prompt": "Greet {name} warmly."}]
    versions = cli.json("prompt-history", "greeter")
    assert [v["kind"] for v in versions] == ["original", "prompt_memory"] and versions[1]["rationale"] == "warmer"
    assert cli("prompt-history", "greeter", "--show", "1").stdout == "Say hello to {name}.\n"


def test_no_trajectories_and_bad_inputs(cli, fake, prompt, tmp_path):
    empty = tmp_path / "none.jsonl"
    empty.write_text("\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [{"role": "user", "content": "hi"}], "feedback": 1}\n{"messages": oops}\n')
    # each error has its own exit code, never 0 or 1 (a CI job tells a broken setup from a change)
    assert "no such prompt file" in cli("optimize-prompt", tmp_path / "missing.md", "-t", TRAJ, *FAKE, code=4).stderr
    assert "no trajectories file" in cli("optimize-prompt", prompt, "-t", tmp_path / "nope.jsonl", *FAKE, code=8).stderr
    result = cli("optimize-prompt", prompt, "-t", empty, *FAKE)
    assert "no trajectories" in result.stderr and result.stdout == BASE + "\n"
    (tmp_path / "blank.md").write_text("  \n")
    assert "empty" in cli("optimize-prompt", tmp_path / "blank.md", "-t", TRAJ, *FAKE, code=4).stderr
    assert f"{bad}:2" in cli("optimize-prompt", prompt, "-t", bad, *FAKE, code=8).stderr
    assert fake.prompts == []
    (tmp_path / "broken.json").write_text('{"name": "x", "prompt": ')
    assert "broken.json" in cli("optimize-prompt", tmp_path / "broken.json", "-t", TRAJ, *FAKE, code=4).stderr


def test_atomic_write_keeps_the_original_when_writing_fails(cli, fake, prompt, monkeypatch):
    import langmem_cli.formats.prompt_files as pf

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pf.os, "replace", broken_replace)
    fake.replies.extend([j({"update": True, "new_prompt": NEW})])
    cli("optimize-prompt", prompt, "-t", TRAJ, *FAKE, "--kind", "prompt_memory", "--in-place", code=1)
    assert prompt.read_text() == BASE + "\n"
    assert [p.name for p in prompt.parent.iterdir() if p.name.startswith(".support")] == []


def test_cli_kinds_are_the_optimizer_kinds(cli, prompt):
    from langmem_cli.cli.optimize_cmd import MODEL_KINDS, OFFLINE_KIND
    from langmem_cli.core.prompt_optimizer import KINDS
    from langmem_cli.jobs.optimize import OFFLINE_KIND as JOB_OFFLINE_KIND

    assert MODEL_KINDS == KINDS and OFFLINE_KIND == JOB_OFFLINE_KIND
    result = cli("optimize-prompt", prompt, "-t", TRAJ, "--kind", "bogus", *FAKE, code=2)
    assert "gradient" in result.stderr and "prompt_memory" in result.stderr


def test_variables_and_escaping_helpers():
    assert variables("a {x} {{y}} {z.w} {1}") == {"x"}
    assert escape_braces('{x} and {"k": {y}}', {"x"}) == '{x} and {{"k": {{y}}}}'
    assert normalise_output("plain text", "new {thing}") == "new {thing}"  # not a template: as written


@pytest.mark.llm
def test_bundled_model_end_to_end(cli, tmp_path):
    pytest.importorskip("llama_cpp")
    SCRIPT.reset()
    path = tmp_path / "plain.md"
    path.write_text("You are a helpful support assistant for Acme Cloud.\n")
    result = cli("optimize-prompt", path, "-t", TRAJ, "--kind", "prompt_memory", "-o", tmp_path / "out.md", "--json",
                 "--model", "local/smollm2-135m", code=None)
    assert result.exit_code in (0, 7) and "Traceback" not in result.output
    if result.exit_code == 0:
        report = json.loads(result.stdout)
        assert report["model"] == "local/smollm2-135m" and report["calls"] >= 1
        assert (tmp_path / "out.md").read_text().strip()
