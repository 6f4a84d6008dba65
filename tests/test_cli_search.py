"""`langmem search`: modes, filters, paging, scores, output formats and batch queries."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def corpus(cli):
    """Enough documents that BM25 gives real (non-clamped) scores to rare terms."""
    rows = {
        "tea": cli.put("I drink green tea every morning", "-n", "org/u1", "-m", "topic=drinks"),
        "coffee": cli.put("Coffee keeps me awake at work", "-n", "org/u1", "-m", "topic=drinks"),
        "dog": cli.put('{"name": "Rex", "species": "dog", "age": 3}', "-n", "org/u1", "-k", "pet", "--new-kind"),
        "cat": cli.put('{"name": "Tom", "species": "cat", "age": 7}', "-n", "org/u2", "-k", "pet"),
        "paris": cli.put("Went to Paris last spring", "-n", "org/u2", "-m", "topic=travel"),
        "tea2": cli.put("Tea with lemon is the best tea", "-n", "organic", "-m", "topic=drinks"),
        "rome": cli.put("Planning a trip to Rome", "-n", "org/u2"),
        "piano": cli.put("Practices piano on weekends", "-n", "org/u1"),
    }
    return {k: v["id"] for k, v in rows.items()}


def hit_ids(hits):
    return [h["id"] for h in hits]


@pytest.mark.parametrize("mode", ["hybrid", "vector", "keyword"])
def test_modes_find_the_matching_memory_first(cli, corpus, mode):
    hits = cli.json("search", "piano lessons", "--mode", mode)
    assert hits, mode
    assert hits[0]["id"] == corpus["piano"]
    assert hits[0]["text"] == "Practices piano on weekends"


def test_hybrid_is_the_default_and_reports_both_scores(cli, corpus):
    hits = cli.json("search", "green tea")
    top = hits[0]
    assert top["id"] == corpus["tea"]
    assert top["score"] > 0
    assert top["vector_score"] is not None and top["vector_score"] > 0
    assert top["keyword_score"] is not None and top["keyword_score"] > 0
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_vector_mode_scores(cli, corpus):
    hits = cli.json("search", "green tea", "--mode", "vector")
    assert all(h["keyword_score"] is None for h in hits)
    assert all(h["score"] == h["vector_score"] for h in hits)
    assert hits[0]["score"] > hits[-1]["score"]
    assert -1.0 <= hits[-1]["score"] <= hits[0]["score"] <= 1.0


def test_keyword_mode_scores_and_only_matches(cli, corpus):
    hits = cli.json("search", "tea", "--mode", "keyword")
    assert set(hit_ids(hits)) == {corpus["tea"], corpus["tea2"]}
    assert all(h["vector_score"] is None and h["score"] == h["keyword_score"] > 0 for h in hits)
    assert hits[0]["id"] == corpus["tea2"]  # 'tea' twice in a short text ranks first under BM25


def test_keyword_mode_nothing_matches(cli, corpus):
    assert cli.json("search", "xylophone", "--mode", "keyword") == []


def test_limit_and_offset(cli, corpus):
    full = hit_ids(cli.json("search", "tea coffee trip", "--limit", "8"))
    assert len(full) == 8
    assert hit_ids(cli.json("search", "tea coffee trip", "-l", "3")) == full[:3]
    assert hit_ids(cli.json("search", "tea coffee trip", "-l", "3", "--offset", "2")) == full[2:5]
    assert hit_ids(cli.json("search", "tea coffee trip", "--mode", "vector", "-l", "2", "--offset", "1")) == \
        hit_ids(cli.json("search", "tea coffee trip", "--mode", "vector", "-l", "8"))[1:3]


def test_namespace_filter(cli, corpus):
    hits = cli.json("search", "tea", "-n", "organic")
    assert hit_ids(hits) == [corpus["tea2"]]
    for mode in ("vector", "keyword", "hybrid"):
        got = cli.json("search", "name species", "-n", "org/u2", "--mode", mode)
        assert got and {h["namespace"] for h in got} == {"org/u2"}, mode


def test_prefix_filter_does_not_match_lookalike(cli, corpus):
    for mode in ("vector", "keyword", "hybrid"):
        got = cli.json("search", "tea", "--prefix", "org", "--mode", mode)
        assert corpus["tea"] in hit_ids(got)
        assert corpus["tea2"] not in hit_ids(got), mode


def test_kind_filter(cli, corpus):
    for mode in ("vector", "keyword", "hybrid"):
        got = cli.json("search", "name Rex dog", "--kind", "pet", "--mode", mode)
        assert set(hit_ids(got)) == {corpus["dog"], corpus["cat"]}, mode
        assert got[0]["id"] == corpus["dog"]
        assert {h["kind"] for h in got} == {"pet"}


def test_filter_on_content_field(cli, corpus):
    for mode in ("vector", "keyword", "hybrid"):
        assert hit_ids(cli.json("search", "name", "-f", "species=cat", "--mode", mode)) == [corpus["cat"]], mode
        assert hit_ids(cli.json("search", "name", "-f", "age=7", "--mode", mode)) == [corpus["cat"]], mode


def test_filter_on_metadata(cli, corpus):
    got = cli.json("search", "tea", "--filter", "topic=drinks", "--mode", "vector")
    assert set(hit_ids(got)) == {corpus["tea"], corpus["coffee"], corpus["tea2"]}
    got = cli.json("search", "Paris", "--filter", "topic=drinks")
    assert corpus["paris"] not in hit_ids(got)
    assert hit_ids(cli.json("search", "Paris", "--filter", "topic=travel")) == [corpus["paris"]]


def test_filters_combine(cli, corpus):
    got = cli.json("search", "tea", "-f", "topic=drinks", "-n", "org/u1", "--mode", "keyword")
    assert hit_ids(got) == [corpus["tea"]]


def test_json_and_jsonl_agree(cli, corpus):
    as_json = cli.json("search", "trip to Rome", "--json")
    result = cli("search", "trip to Rome", "--jsonl")
    lines = result.stdout.splitlines()
    assert len(lines) == len(as_json) > 0
    assert [json.loads(line) for line in lines] == as_json
    assert as_json[0]["id"] == corpus["rome"]


def test_human_output_shows_scores(cli, corpus):
    out = cli("search", "piano", "--no-json").stdout
    assert "Practices piano on weekends" in out
    assert "score" in out
    assert "no results" in cli("search", "tea", "-n", "empty/ns", "--no-json").stdout


def test_batch_queries_file(cli, corpus, tmp_path):
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        "\n".join(
            [
                json.dumps("piano practice"),
                json.dumps({"query": "green tea", "id": "q-tea", "limit": 1}),
                "",
                json.dumps({"query": "name", "id": 7, "kind": "pet", "filter": {"age": 7}}),
                json.dumps({"query": "tea", "id": "q-ns", "namespace": "organic", "mode": "keyword"}),
            ]
        )
        + "\n"
    )
    lines = cli("search", "--queries", queries, "-l", "3").stdout.splitlines()
    assert len(lines) == 4
    answers = [json.loads(line) for line in lines]
    assert [a["id"] for a in answers] == [None, "q-tea", 7, "q-ns"]
    assert [a["query"] for a in answers] == ["piano practice", "green tea", "name", "tea"]
    assert answers[0]["results"][0]["id"] == corpus["piano"] and len(answers[0]["results"]) == 3
    assert hit_ids(answers[1]["results"]) == [corpus["tea"]]
    assert hit_ids(answers[2]["results"]) == [corpus["cat"]]
    assert hit_ids(answers[3]["results"]) == [corpus["tea2"]]
    assert all("score" in h for a in answers for h in a["results"])


def test_batch_filter_with_json_boolean(cli, tmp_path):
    cli.put('{"drink": "tea", "sugar": true}', "-k", "pref", "--new-kind")
    cli.put('{"drink": "juice", "sugar": false}', "-k", "pref")
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"query": "drink", "id": "b", "filter": {"sugar": True}}) + "\n")
    [answer] = cli.jsonl("search", "--queries", queries)
    assert [h["content"]["drink"] for h in answer["results"]] == ["tea"]


def test_batch_queries_from_stdin(cli, corpus):
    lines = cli.jsonl("search", "--queries", "-", input='{"query": "Rome", "id": "a"}\n"Paris"\n')
    assert [(a["id"], a["results"][0]["id"]) for a in lines] == [("a", corpus["rome"]), (None, corpus["paris"])]


@pytest.mark.parametrize(
    "content, line",
    [
        ('"fine"\n{not json\n', 2),
        ('"fine"\n{"query": "x", "bogus": 1}\n', 2),
        ('{"query": 3}\n', 1),
        ('"ok"\n\n{"query": "x", "limit": 0}\n', 3),
        ('"ok"\n{"query": "x", "vector_weight": NaN}\n', 2),
        ('"ok"\n{"query": "x", "namespace": "a//b"}\n', 2),
        ('"ok"\n{"query": "   "}\n', 2),
        ('"ok"\n{"query": "x", "mode": "fuzzy"}\n', 2),
    ],
)
def test_batch_bad_line_reports_file_and_line(cli, corpus, tmp_path, content, line):
    queries = tmp_path / "bad.jsonl"
    queries.write_text(content)
    result = cli("search", "--queries", queries, code=4)
    [message] = result.stderr.splitlines()
    assert message.startswith(f"langmem: error: {queries}:{line}: ")
    assert "pydantic" not in message and "http" not in message and len(message) < 200 + len(str(queries))
    assert result.stdout == ""  # every line is validated (pydantic model) before any is answered


BATCH_MESSAGES = [
    ({"query": "x", "bogus": 1}, "unknown key 'bogus'"),
    ({"query": "x", "limit": 0}, "'limit': Input should be greater than or equal to 1"),
    ({"query": "x", "namespace": "a//b"}, "invalid namespace 'a//b'"),
    ({"id": "q"}, "missing 'query'"),
]


@pytest.mark.parametrize("obj, expected", BATCH_MESSAGES)
def test_batch_messages_are_short(cli, tmp_path, obj, expected):
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps(obj) + "\n")
    assert expected in cli("search", "--queries", queries, code=4).stderr


def test_batch_queries_file_with_a_bom(cli, corpus, tmp_path):
    queries = tmp_path / "bom.jsonl"
    queries.write_bytes(b"\xef\xbb\xbf" + json.dumps({"query": "Rome", "id": "a"}).encode() + b"\n")
    assert [a["id"] for a in cli.jsonl("search", "--queries", queries)] == ["a"]


def test_search_usage_errors(cli, corpus, tmp_path):
    cli("search", "tea", "--mode", "fuzzy", code=2)
    cli("search", code=2)
    cli("search", "   ", code=2)
    cli("search", "tea", "--limit", "0", code=2)
    q = tmp_path / "q.jsonl"
    q.write_text('"tea"\n')
    cli("search", "tea", "--queries", q, code=2)
    cli("search", "--queries", tmp_path / "missing.jsonl", code=2)
    cli("search", "tea", "--prefix", "bad//prefix", code=2)


def test_search_empty_database(cli):
    assert cli.json("search", "anything") == []
    assert cli.json("search", "anything", "--mode", "vector") == []


def test_vector_weight_extremes(cli, corpus):
    query = "coffee tea"
    vector = hit_ids(cli.json("search", query, "--mode", "vector", "-l", "3"))
    keyword = hit_ids(cli.json("search", query, "--mode", "keyword", "-l", "3"))
    assert (vector[0], keyword[0]) == (corpus["tea2"], corpus["coffee"])  # the retrievers disagree
    assert hit_ids(cli.json("search", query, "--vector-weight", "1", "-l", "1")) == vector[:1]
    assert hit_ids(cli.json("search", query, "--vector-weight", "0", "-l", "1")) == keyword[:1]
    cli("search", query, "--vector-weight", "1.5", code=2)
    cli("search", query, "--neighbor-weight", "-1", code=2)


def test_neighbor_weight_lifts_adjacent_lines(cli, tmp_path):
    lines = [
        ("chat.txt:1", "Did Caroline enjoy the meeting yesterday?"),
        ("chat.txt:2", "Yes, she felt welcome and plans to return"),
        ("notes.txt:1", "Buy milk and bread"),
        ("notes.txt:2", "The meeting room is booked"),
        ("notes.txt:9", "Call the plumber on Monday"),
        ("other.txt:5", "Garden needs watering"),
    ]
    f = tmp_path / "turns.jsonl"
    f.write_text("".join(json.dumps({"namespace": "c", "content": t, "source": s}) + "\n" for s, t in lines))
    cli("import", f)
    query = "Caroline meeting yesterday"
    plain = [h["source"] for h in cli.json("search", query, "-l", "6", "--neighbor-weight", "0")]
    smoothed = [h["source"] for h in cli.json("search", query, "-l", "6", "--neighbor-weight", "1")]
    default = [h["source"] for h in cli.json("search", query, "-l", "6")]  # neighbours on by default
    assert plain[0] == smoothed[0] == default[0] == "chat.txt:1"
    assert plain.index("chat.txt:2") > 1
    assert smoothed.index("chat.txt:2") == default.index("chat.txt:2") == 1
