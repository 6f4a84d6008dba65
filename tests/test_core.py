"""Pure functions of the core: namespaces, rendering, keywords, fusion, the hash embedder."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langmem_cli.core import fusion, keywords, namespaces, render
from langmem_cli.embed.hash_embedder import HashEmbedder
from langmem_cli.errors import ModelError, UsageError

# -- namespaces ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ns", ["a", "org/user_123/app", "A.b-c@d:e+f=g", "x" * 255])
def test_valid_namespaces(ns):
    assert namespaces.validate(ns) == ns


@pytest.mark.parametrize("ns", ["", "/", "a/", "/a", "a//b", ".", "a/./b", "a/../b", "a b", "a\\b", "é", "x" * 256, None])
def test_invalid_namespaces(ns):
    with pytest.raises(UsageError):
        namespaces.validate(ns)


def test_is_under():
    assert namespaces.is_under("org", "org")
    assert namespaces.is_under("org/u1", "org")
    assert namespaces.is_under("org/u1", "org/")
    assert not namespaces.is_under("organic", "org")
    assert not namespaces.is_under("org", "org/u1")


segment = st.text(alphabet="ab_.-%", min_size=1, max_size=3).filter(lambda s: s not in (".", ".."))
namespace = st.lists(segment, min_size=1, max_size=3).map("/".join)


@settings(max_examples=200, deadline=None, database=None)
@given(ns=namespace, prefix=namespace)
def test_like_pattern_agrees_with_is_under(ns, prefix):
    """SQL (= prefix OR LIKE pattern) selects exactly the namespaces is_under accepts, wildcards escaped."""
    conn = sqlite3.connect(":memory:")
    matched = conn.execute(
        "SELECT ? = ? OR ? LIKE ? ESCAPE '\\'", (ns, prefix, ns, namespaces.like_pattern(prefix))
    ).fetchone()[0]
    assert bool(matched) == namespaces.is_under(ns, prefix)


# -- render -------------------------------------------------------------------------------------


def test_render_free_text_and_memory_shape():
    assert render.render("memory", "plain text") == "plain text"
    assert render.render("memory", {"content": "wrapped"}) == "wrapped"
    assert render.normalize_content("memory", "x") == {"content": "x"}
    assert render.normalize_content("pet", "x") == "x"


def test_render_structured():
    content = {"name": "Rex", "owner": {"first": "Ann", "pets": ["dog", "cat"]}, "ok": False, "none": None, "empty": ""}
    assert render.render("pet", content).splitlines() == [
        "name: Rex", "owner.first: Ann", "owner.pets: dog, cat", "ok: no",
    ]
    assert render.render("x", [{"a": 1}, {"a": 2}]) == "a: 1\na: 2"
    assert render.render("x", ["p", "q"]) == "p, q"


def test_content_hash_is_canonical_and_kind_sensitive():
    assert render.content_hash("k", {"a": 1, "b": 2}) == render.content_hash("k", {"b": 2, "a": 1})
    assert render.content_hash("k", {"a": 1}) != render.content_hash("j", {"a": 1})
    assert render.content_hash("k", {"a": 1}) != render.content_hash("k", {"a": "1"})
    assert render.canonical_json({"b": "é", "a": [1, 2]}) == '{"a":[1,2],"b":"é"}'


# -- keywords -----------------------------------------------------------------------------------


def test_terms_drop_stopwords_and_duplicates():
    assert keywords.terms("What does the user DRINK, drink?") == ["user", "drink"]
    assert keywords.terms("the of a") == ["the", "of", "a"]  # only stopwords: keep them
    assert keywords.terms("?!") == []
    assert keywords.terms("café ☕ 東京") == ["café", "東京"]


def test_match_expression_quotes_terms():
    assert keywords.match_expression('tea "OR" NEAR(x)') == '"tea" OR "near" OR "x"'
    assert keywords.match_expression("...") is None


# -- fusion -------------------------------------------------------------------------------------


def test_min_max():
    assert fusion.min_max([("a", 2.0), ("b", 4.0), ("c", 3.0)]) == {"a": 0.0, "b": 1.0, "c": 0.5}
    assert fusion.min_max([("a", 5.0), ("b", 5.0)]) == {"a": 1.0, "b": 1.0}
    assert fusion.min_max([]) == {}


def test_convex_fusion():
    fused = fusion.convex_fusion([[("a", 0.9), ("b", 0.1)], [("b", 10.0), ("c", 0.0)]], [0.4, 0.6])
    assert fused == pytest.approx({"a": 0.4, "b": 0.6, "c": 0.0})
    assert [i for i, _ in fusion.ranked(fused)] == ["b", "a", "c"]
    with pytest.raises(ValueError):
        fusion.convex_fusion([[("a", 1.0)]], [0.5, 0.5])


def test_neighbours_and_smoothing():
    assert fusion.neighbours("chat.txt:7") == ("chat.txt:6", "chat.txt:8")
    assert fusion.neighbours("c:/dir/x.md:1") == ("c:/dir/x.md:0", "c:/dir/x.md:2")
    assert fusion.neighbours("cli") is None and fusion.neighbours(None) is None
    scores = {"q": 1.0, "a": 0.0, "far": 0.2, "cli": 0.1}
    sources = {"q": "f:1", "a": "f:2", "far": "f:9", "cli": "cli"}
    smoothed = fusion.smooth_by_neighbours(scores, sources, 0.5)
    assert smoothed == pytest.approx({"q": 1.0, "a": 0.5, "far": 0.2, "cli": 0.1})
    assert fusion.smooth_by_neighbours(scores, sources, 0.0) == scores


# -- hash embedder ------------------------------------------------------------------------------


def test_hash_embedder_is_deterministic_and_normalised():
    e = HashEmbedder(64)
    a = e.embed(["green tea", "Green TEA!", "coffee", "?!"])
    assert a.shape == (4, 64) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-6)
    assert np.array_equal(a[0], a[1])  # same words, case and punctuation aside
    assert float(a[0] @ a[2]) < 0.99
    assert np.array_equal(a, HashEmbedder(64).embed(["green tea", "Green TEA!", "coffee", "?!"]))
    assert (e.calls, e.texts_embedded) == (1, 4)


@pytest.mark.parametrize("name", ["hash:x", "hash:4", "hash:5000"])
def test_hash_embedder_names(name):
    with pytest.raises(ModelError):
        HashEmbedder.from_name(name)
    assert HashEmbedder.from_name("hash:32").dim == 32
