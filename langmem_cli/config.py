"""Settings read from options and environment variables: every LANGMEM_* variable is read here
(one place, listed in ENV_VARS, shown by --help and in the README)."""

from __future__ import annotations

import os
from pathlib import Path

# name -> what it does; shown by `langmem --help` and in the README.
ENV_VARS: dict[str, str] = {
    "LANGMEM_DB": "database file, or a postgresql:// URL for a shared store (default: <user data dir>/langmem/memories.db)",
    "LANGMEM_EMBEDDING_MODEL": "sentence-transformers model name or path (default: bundled all-MiniLM-L6-v2)",
    "LANGMEM_EMBEDDING_BACKEND": "onnx (default: the model exported once to ONNX) or torch (sentence-transformers in process)",
    "LANGMEM_MODEL": "LLM for extract, consolidate and optimize-prompt, any litellm model string (default: none: extract and consolidate run the offline extractor 'local', optimize-prompt the offline optimizer 'lessons')",
    "LANGMEM_API_BASE": "base URL of an OpenAI-compatible server (with --model openai/NAME)",
    "LANGMEM_LOCAL_GGUF": "another GGUF file for the local/ provider instead of the bundled weights",
    "LANGMEM_LOCAL_CTX": "context size of the local model (default 8192)",
    "LANGMEM_CACHE_DIR": "where exported ONNX models are cached (default: <user data dir>/langmem/models)",
    "LANGMEM_THREADS": "CPU threads for embedding and vector math (default: 1)",
    "LANGMEM_DEBUG": "set to 1 to show tracebacks on errors",
    "LANGMEM_LITELLM_PROVIDERS": "extra litellm custom providers, PROVIDER=module:attribute[,...] (an importable CustomLLM class or instance; the tests register their scripted model this way)",
    "HF_HUB_OFFLINE": "forced to 1: models load only from installed packages or local paths",
}

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"


def data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("langmem", appauthor=False))


def default_db_path() -> Path:
    return data_dir() / "memories.db"


DB_URL_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def is_db_url(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith(DB_URL_SCHEMES)


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    value = explicit or os.environ.get("LANGMEM_DB")
    return Path(value).expanduser() if value else default_db_path()


def db_target(explicit: str | os.PathLike | None = None) -> "Path | str":
    """What --db / LANGMEM_DB names: a database file (Path) or a server URL (str, as given)."""
    value = explicit or os.environ.get("LANGMEM_DB")
    if is_db_url(value):
        return str(value).strip()
    return db_path(value)


def embedding_model_name(explicit: str | None = None) -> str:
    return explicit or os.environ.get("LANGMEM_EMBEDDING_MODEL") or DEFAULT_EMBEDDING_MODEL


# No model configured: extract and consolidate run offline, without an LLM ("local").
DEFAULT_MODEL = "local"
# The bundled small LLM (llama-cpp-python, the `local` extra): only when asked for, and for optimize-prompt.
BUNDLED_LLM = "local/smollm2-135m"


def llm_model(explicit: str | None = None, default: str = DEFAULT_MODEL) -> str:
    return explicit or os.environ.get("LANGMEM_MODEL") or default


def api_base(explicit: str | None = None) -> str | None:
    return explicit or os.environ.get("LANGMEM_API_BASE") or None


def embedding_backend() -> str:
    """``onnx`` (default) or ``torch``."""
    return "torch" if os.environ.get("LANGMEM_EMBEDDING_BACKEND", "onnx").strip().lower() == "torch" else "onnx"


def local_gguf() -> Path | None:
    value = os.environ.get("LANGMEM_LOCAL_GGUF")
    return Path(value).expanduser() if value else None


def local_ctx() -> int:
    try:
        return max(512, int(os.environ.get("LANGMEM_LOCAL_CTX", "8192")))
    except ValueError:
        return 8192


def litellm_providers() -> dict[str, str]:
    """Extra litellm custom providers: provider name -> ``module:attribute``."""
    out = {}
    for item in (os.environ.get("LANGMEM_LITELLM_PROVIDERS") or "").split(","):
        name, _, target = item.strip().partition("=")
        if name.strip() and target.strip():
            out[name.strip()] = target.strip()
    return out


def cache_dir() -> Path:
    value = os.environ.get("LANGMEM_CACHE_DIR")
    return Path(value).expanduser() if value else data_dir() / "models"


def threads() -> int:
    try:
        return max(1, int(os.environ.get("LANGMEM_THREADS", "1")))
    except ValueError:
        return 1


def debug() -> bool:
    return os.environ.get("LANGMEM_DEBUG", "") not in ("", "0", "false", "no")


def apply_runtime_env() -> None:
    """Offline by default, and thread counts pinned before numpy/BLAS load."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # no price-map fetch from the network
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    n = str(threads())
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, n)
