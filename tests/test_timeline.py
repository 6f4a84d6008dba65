"""``langmem timeline`` (issue 23 item 8): each memory a span from valid_from to valid_until,
superseded versions linked in one chain, what is current marked; readable at 80 columns, as JSON,
and as a self-contained HTML page (checked by parsing it: every memory, its dates, its links,
nothing loaded from outside)."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

from support.profile_story import SCHEMA, story

from langmem_cli.core.extraction import Operation


def chain_store(store):
    """Berlin (Jan) -> Lisbon (Mar): one chain; a cat, still current; a trip that ended."""
    berlin = store.put("u/p", "Priya lives in Berlin.", valid_from="2024-01-10")
    store.apply_operations("u/p", [Operation("update", "memory", "Priya lives in Lisbon.", berlin.id, valid_from="2024-03-05")], "t")
    cat = store.put("u/p", "Priya has a cat called Miso.", valid_from="2024-01-10")
    trip = store.put("u/p", "Sam plans a trip to Tokyo in October.", valid_from="2024-02-01", valid_until="2024-05-01")
    lisbon = store.get(berlin.id).superseded_by
    return berlin.id, lisbon, cat.id, trip.id


def test_json_chains_spans_and_current(cli, store):
    berlin, lisbon, cat, trip = chain_store(store)
    line = cli.json("timeline", "-n", "u/p")
    assert line["memories"] == 4 and line["current"] == 2
    chains = [[s["id"] for s in c["spans"]] for c in line["chains"]]
    assert [berlin, lisbon] in chains and [cat] in chains and [trip] in chains
    spans = {s["id"]: s for c in line["chains"] for s in c["spans"]}
    assert spans[berlin]["state"] == "closed" and spans[berlin]["superseded_by"] == lisbon
    assert spans[berlin]["valid_until"] == spans[lisbon]["valid_from"]
    assert spans[lisbon]["state"] == "current" and spans[lisbon]["replaces"] == [berlin]
    assert spans[trip]["state"] == "closed" and spans[trip]["valid_until"].startswith("2024-05-01")
    assert line["from"].startswith("2024-01-10")


def test_subject_keeps_whole_chains_about_that_person(cli, store):
    berlin, lisbon, cat, trip = chain_store(store)
    line = cli.json("timeline", "-n", "u/p", "--subject", "priya")
    assert sorted(s["id"] for c in line["chains"] for s in c["spans"]) == sorted([berlin, lisbon, cat])
    assert cli.json("timeline", "-n", "u/p", "--subject", "Nobody")["chains"] == []
    assert "no memories in u/p about Nobody" in cli("timeline", "-n", "u/p", "--subject", "Nobody", "--no-json").stdout


def test_terminal_fits_80_columns_and_marks_current(cli, store):
    from rich.console import Console

    from langmem_cli.cli.timeline_cmd import _human
    from langmem_cli.core.timeline import build
    from langmem_cli.core.timestamps import now

    chain_store(store)
    store.put("u/p", "Priya " + "really " * 40 + "likes long sentences.", valid_from="2024-04-01")
    console = Console(file=io.StringIO(), width=80, highlight=False, color_system=None)
    _human(console, build(store.list(namespace="u/p", limit=None, include_expired=True), "u/p", now()))
    text = console.file.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert text.count("●") == 3 and text.count("○") == 2  # current and closed, one mark each
    assert "↳ Priya lives in Lisbon." in text  # the replacement, under what it replaced
    berlin_bar = next(line for line in text.splitlines() if "2024-01-10 → 2024-03-05" in line)
    lisbon_bar = next(line for line in text.splitlines() if "2024-03-05 → now" in line)
    assert berlin_bar.index("━") < lisbon_bar.index("━")  # later start, further right
    assert berlin_bar.rindex("━") <= lisbon_bar.index("━") and lisbon_bar.rstrip().split(" ")[1].endswith("━")


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.memories: dict[str, dict[str, str]] = {}
        self.links: list[tuple[str, str]] = []  # (from memory, href)
        self.external: list[str] = []
        self.tags: set[str] = set()
        self.spans: dict[str, str] = {}
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        for key in ("src", "href"):
            if key in a and not a[key].startswith("#"):
                self.external.append(a[key])
        if tag == "article":
            self._in = a["data-id"]
            self.memories[a["data-id"]] = a
        elif tag == "a" and self._in:
            self.links.append((self._in, a["href"]))
        elif tag == "div" and a.get("class") == "span" and self._in:
            self.spans[self._in] = a["style"]

    def handle_endtag(self, tag):
        if tag == "article":
            self._in = None


def parse(path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def test_html_page_is_self_contained_and_holds_every_memory(cli, store, tmp_path):
    berlin, lisbon, cat, trip = chain_store(store)
    out = tmp_path / "t.html"
    cli("timeline", "-n", "u/p", "--html", out)
    page = parse(out)
    assert set(page.memories) == {berlin, lisbon, cat, trip}
    assert page.external == [] and not {"script", "link", "img", "iframe"} & page.tags
    assert page.memories[berlin]["id"] == f"m-{berlin}" and page.memories[berlin]["data-superseded-by"] == lisbon
    assert {i for i, a in page.memories.items() if "current" in a["class"].split()} == {lisbon, cat}
    assert page.memories[trip]["data-valid-until"].startswith("2024-05-01")
    assert (berlin, f"#m-{lisbon}") in page.links and (lisbon, f"#m-{berlin}") in page.links
    assert all(href[3:] in page.memories for _, href in page.links)  # every link lands on a memory

    def left(i):
        return float(re.search(r"left:([\d.]+)%", page.spans[i]).group(1))

    def width(i):
        return float(re.search(r"width:([\d.]+)%", page.spans[i]).group(1))

    assert left(berlin) == 0 and abs(left(berlin) + width(berlin) - left(lisbon)) < 0.01  # end to end
    assert left(lisbon) + width(lisbon) == 100  # current: to the end
    assert all(0 <= left(i) <= 100 and 0 <= left(i) + width(i) <= 100.001 for i in page.spans)


def test_html_of_a_profile_history_read_out_of_order(cli, tmp_path):
    files = story(tmp_path / "story")
    cli("extract", *reversed(files), "-n", "u/priya", "--schema", SCHEMA, "--profile")
    out = tmp_path / "profile.html"
    cli("timeline", "-n", "u/priya", "--html", out, "--kind", "user_profile")
    page = parse(out)
    states = [a["data-state"] for a in page.memories.values()]
    assert states.count("current") == 1 and "retracted" in states
    rows = cli.json("list", "-n", "u/priya", "--include-expired", "--limit", "100")
    assert set(page.memories) == {r["id"] for r in rows}


def test_html_escapes_what_memories_say(cli, store, tmp_path):
    store.put("u/x", "Priya wrote <script>alert(1)</script> & left.", valid_from="2024-01-01")
    out = tmp_path / "x.html"
    cli("timeline", "-n", "u/x", "--html", out)
    assert "<script>" not in out.read_text() and "&lt;script&gt;" in out.read_text()


def test_html_to_a_missing_folder_is_one_line(cli, store, tmp_path):
    store.put("u/x", "Priya likes tea.")
    result = cli("timeline", "-n", "u/x", "--html", tmp_path / "no" / "such" / "t.html", code=2)
    assert result.stderr.count("\n") == 1 and "cannot write" in result.stderr and "Traceback" not in result.stderr


def test_timeline_imports_no_model_code(store, db_path, tmp_path):
    """Light: the command reads the store and draws; no model, LLM or job code is imported."""
    import json
    import os
    import subprocess
    import sys

    chain_store(store)
    store.close()
    script = (
        "import sys, json\n"
        "from langmem_cli.cli.app import main\n"
        f"sys.argv = ['langmem', '--db', {str(db_path)!r}, 'timeline', '-n', 'u/p', '--html', {str(tmp_path / 'p.html')!r}, '--json']\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('litellm', 'torch', 'onnxruntime', 'transformers',"
        " 'sentence_transformers', 'llama_cpp') or m.startswith(('langmem_cli.llm', 'langmem_cli.jobs')))\n"
        "print(json.dumps(heavy), file=sys.stderr)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "LANGMEM_EMBEDDING_MODEL"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stderr.strip().splitlines()[-1]) == []
    assert json.loads(result.stdout)["memories"] == 4 and (tmp_path / "p.html").exists()
