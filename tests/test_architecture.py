"""The layout rules (issue 15): SQL only in the store, arrows pointing down, no import circles,
small modules. Read from the source with ast: nothing is imported."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "langmem_cli"
SQL = re.compile(r"\bSELECT\s.*?\bFROM\b|\bINSERT\s+INTO\b|\bDELETE\s+FROM\b|\bCREATE\s+(VIRTUAL\s+|UNIQUE\s+)?(TABLE|INDEX)\b"
                 r"|\bUPDATE\s+\w+\s+SET\b", re.S)
MAX_LINES = 400
# layer -> the layers it must not import
FORBIDDEN = {
    "core": {"store", "jobs", "cli", "mcp", "formats", "llm", "embed"},
    "store": {"jobs", "cli", "mcp"},
    "formats": {"jobs", "cli", "mcp"},
    "llm": {"jobs", "cli", "mcp"},
    "embed": {"jobs", "cli", "mcp"},
    "jobs": {"cli", "mcp"},
}


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def strings(tree: ast.AST) -> list[ast.Constant]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING" or (
        isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """langmem_cli modules ``name`` imports, anywhere in it (also inside functions), except
    under ``if TYPE_CHECKING:`` (annotations only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _type_checking(node)
            for child in node.body for n in ast.walk(child)}
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in known else base)
    return {m for m in found if m in known and m != name and m != "langmem_cli"}


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def test_no_sql_outside_the_store():
    offenders = []
    for name, path in modules().items():
        if layer(name) == "store":
            continue
        for node in strings(ast.parse(path.read_text(encoding="utf-8"))):
            if SQL.search(node.value):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.value[:60]!r}")
    assert not offenders, "SQL outside langmem_cli/store/:\n" + "\n".join(offenders)


def test_sql_only_in_backend_folders():
    """Inside the store, SQL lives in the backends (sqlite/, postgres/), not in the interface."""
    offenders = []
    for name, path in modules().items():
        if layer(name) != "store" or name.split(".")[2:3] in (["sqlite"], ["postgres"]):
            continue
        for node in strings(ast.parse(path.read_text(encoding="utf-8"))):
            if SQL.search(node.value):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not offenders, offenders


def test_arrows_point_down():
    bad = []
    for module, targets in graph().items():
        for target in targets:
            if layer(target) in FORBIDDEN.get(layer(module) or "", set()):
                bad.append(f"{module} -> {target}")
    assert not bad, "imports from a lower layer to a higher one:\n" + "\n".join(sorted(bad))


def test_no_import_circles():
    edges = graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert not cycles, "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_modules_are_small():
    big = {str(p.relative_to(PACKAGE.parent)): n for p in PACKAGE.rglob("*.py")
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines: {big}"


def test_the_checks_see_what_they_look_for():
    """The detectors themselves: SQL in a string, an upward arrow, a circle."""
    assert SQL.search("SELECT id FROM memories") and SQL.search("UPDATE memories SET x = 1")
    assert not SQL.search("select what to consolidate") and not SQL.search("Update the memory")
    mods = modules()
    assert "langmem_cli.store.base" in graph()["langmem_cli.store"]
    assert layer("langmem_cli.jobs.extract") == "jobs" and "langmem_cli.cli.app" in mods
