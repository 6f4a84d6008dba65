"""Prompt files: plain text / Markdown (one prompt), or JSON / YAML holding one or more
``{name, prompt, update_instructions?, when_to_update?}``. Written back in the same format,
atomically (temp file + rename). YAML goes through ruamel.yaml's round-trip mode, so rewriting a
prompt keeps the file's comments, key order, quoting and layout; only the prompt changes."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langmem_cli.core.prompt_optimizer import PromptSpec
from langmem_cli.core.untrusted import check_value
from langmem_cli.errors import InvalidInputError

STRUCTURED = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}


@dataclass
class PromptFile:
    path: Path
    fmt: str  # text | json | yaml
    specs: list[PromptSpec]
    raw: Any  # the parsed document (json/yaml) or the text
    text: str

    def render(self, new_prompts: dict[str, str]) -> str:
        """The file's content with the given prompts replaced; everything else as it was."""
        if self.fmt == "text":
            (spec,) = self.specs
            new = new_prompts.get(spec.name, spec.prompt)
            return new if new.endswith("\n") or not self.text.endswith("\n") else new + "\n"
        entries = _entries(self.raw)
        for entry in entries:
            if entry.get("name") in new_prompts:
                entry["prompt"] = _yaml_text(entry.get("prompt"), new_prompts[entry["name"]]) if self.fmt == "yaml" \
                    else new_prompts[entry["name"]]
        if self.fmt == "json":
            return json.dumps(self.raw, indent=2, ensure_ascii=False) + "\n"
        import io

        from ruamel.yaml.util import load_yaml_guess_indent

        _, indent, offset = load_yaml_guess_indent(self.text)  # the file's own indentation
        yaml = _yaml()
        if indent is not None:
            offset = offset or 0
            yaml.indent(mapping=max(2, indent - offset) if offset else indent, sequence=indent, offset=offset)
        out = io.StringIO()
        yaml.dump(self.raw, out)
        return out.getvalue()


def _yaml():
    """A round-trip YAML reader/writer (comments, order and quoting kept); no line folding."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.width = 1_000_000
    yaml.preserve_quotes = True
    return yaml


def _yaml_text(old: Any, new: str) -> Any:
    """The new prompt in the style of the old one: a literal block (|) when either spans lines,
    else the old scalar's quoting."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString, SingleQuotedScalarString

    if "\n" in new.rstrip("\n") or isinstance(old, LiteralScalarString):
        return LiteralScalarString(new)
    for style in (DoubleQuotedScalarString, SingleQuotedScalarString):
        if isinstance(old, style):
            return style(new)
    return new


_CORE_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}


def _refuse_tags(node: Any, text: str, path: Path, depth: int = 0) -> None:
    """Application tags (``!!python/...``, ``!foo``) are refused, as a safe loader does: the
    round-trip loader keeps them as data, never runs them, but they are not prompt files."""
    if depth > 200:
        return
    tag = getattr(getattr(node, "tag", None), "value", None)
    if tag is not None and tag not in _CORE_TAGS:
        short = tag.replace("tag:yaml.org,2002:", "!!")
        line = text.count("\n", 0, max(text.find(short), 0)) + 1
        raise InvalidInputError(f"invalid YAML: the tag {short} is not allowed", location=f"{path}:{line}")
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        _refuse_tags(child, text, path, depth + 1)


def _entries(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, dict) and "prompts" in doc and isinstance(doc["prompts"], list):
        return doc["prompts"]
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        return [doc]
    raise ValueError("expected an object, a list of objects, or {\"prompts\": [...]}")


def load_prompt_file(path: Path) -> PromptFile:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInputError("no such prompt file", location=str(path)) from None
    except OSError as exc:
        raise InvalidInputError(f"cannot read the prompt file: {exc.strerror}", location=str(path)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvalidInputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", location=f"{path}:{line}") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InvalidInputError("a binary file, not a prompt", location=f"{path}:{line}")
    if not text.strip():
        raise InvalidInputError("the prompt file is empty", location=str(path))
    fmt = STRUCTURED.get(path.suffix.lower(), "text")
    if fmt == "text":
        return PromptFile(path, "text", [PromptSpec(path.stem, text.rstrip("\n"))], text, text)
    try:
        if fmt == "json":
            raw = json.loads(text)
        else:
            raw = _yaml().load(text)
            _refuse_tags(raw, text, path)
    except RecursionError:
        raise InvalidInputError("nested too deeply", location=str(path)) from None
    except ValueError as exc:  # json.JSONDecodeError
        raise InvalidInputError(f"invalid JSON: {exc}", location=f"{path}:{getattr(exc, 'lineno', 1)}") from None
    except InvalidInputError:
        raise
    except Exception as exc:  # ruamel.yaml's YAMLError
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise InvalidInputError(f"invalid YAML: {str(exc).splitlines()[0]}", location=where) from None
    try:
        check_value(raw)  # lone surrogates (cannot be written back as UTF-8), absurd nesting
        entries = _entries(raw)
        specs = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise ValueError(f"prompt {i + 1}: expected an object with 'name' and 'prompt'")
            name, prompt = entry.get("name"), entry.get("prompt")
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f"prompt {i + 1}: 'name' must be a non-empty string")
            if not isinstance(prompt, str) or not prompt.strip():
                raise ValueError(f"prompt {name!r}: 'prompt' must be a non-empty string")
            for key in ("update_instructions", "when_to_update"):
                if entry.get(key) is not None and not isinstance(entry[key], str):
                    raise ValueError(f"prompt {name!r}: {key!r} must be a string")
            specs.append(PromptSpec(name, prompt, entry.get("update_instructions"), entry.get("when_to_update")))
        if not specs:
            raise ValueError("no prompts in the file")
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ValueError("two prompts have the same name")
    except ValueError as exc:
        raise InvalidInputError(str(exc), location=str(path)) from None
    return PromptFile(path, fmt, specs, raw, text)


def write_atomically(path: Path, content: str) -> None:
    directory = path.resolve().parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fp:
            fp.write(content)
            fp.flush()
            os.fsync(fp.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
