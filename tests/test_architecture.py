"""The layout rules (issues 15, 28): SQL only in the store, arrows pointing down, no import circles
(type-only imports included), no module reaching into another's private members. Modules are
sized by what they hold, not by a line cap. Read from the source with ast: nothing is imported."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "langmem_cli"
SQL = re.compile(r"\bSELECT\s.*?\bFROM\b|\bINSERT\s+INTO\b|\bDELETE\s+FROM\b|\bCREATE\s+(VIRTUAL\s+|UNIQUE\s+)?(TABLE|INDEX)\b"
                 r"|\bUPDATE\s+\w+\s+SET\b", re.S)
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


def imports(name: str, path: Path, known: set[str], type_only: bool = True) -> set[str]:
    """langmem_cli modules ``name`` imports, anywhere in it (also inside functions); those under
    ``if TYPE_CHECKING:`` (annotations only) too unless ``type_only`` is False."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set() if type_only else {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _type_checking(node)
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


def graph(type_only: bool = True) -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(name, path, set(mods), type_only) for name, path in mods.items()}


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
    """Inside the store, SQL lives in the backends (sqlite/, postgres/) and in the repositories
    written once over their runners (repos/), not in the interface or the one search."""
    offenders = []
    for name, path in modules().items():
        if layer(name) != "store" or name.split(".")[2:3] in (["sqlite"], ["postgres"], ["repos"]):
            continue
        for node in strings(ast.parse(path.read_text(encoding="utf-8"))):
            if SQL.search(node.value):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not offenders, offenders


def test_arrows_point_down():
    bad = []
    for module, targets in graph(type_only=False).items():
        for target in targets:
            if layer(target) in FORBIDDEN.get(layer(module) or "", set()):
                bad.append(f"{module} -> {target}")
    assert not bad, "imports from a lower layer to a higher one:\n" + "\n".join(sorted(bad))


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
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
    return cycles


def test_no_import_circles():
    """Type-only imports (``if TYPE_CHECKING:``) count: a circle for the type checker is still
    two modules that cannot be understood one without the other."""
    cycles = circles(graph())
    assert not cycles, "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


# namedtuple's public API starts with an underscore
ALLOWED_PRIVATE = {"_replace", "_asdict", "_fields", "_make", "_field_defaults"}


def own_private_names(tree: ast.AST) -> set[str]:
    """Private names a module defines: functions, classes, attributes it assigns (``self._x =``,
    ``_x: int``), globals and parameters."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return {n for n in names if n.startswith("_")}


def reach_ins(source: str) -> list[tuple[int, str]]:
    """``x._name`` where x is not self/cls and ``_name`` is not defined in this module: a reach
    into another module's object's private member."""
    tree = ast.parse(source)
    own = own_private_names(tree)
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                and node.attr not in ALLOWED_PRIVATE and node.attr not in own
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_no_private_reach_ins_across_modules():
    offenders = [f"{path.relative_to(PACKAGE.parent)}:{line}: {text}"
                 for path in modules().values()
                 for line, text in reach_ins(path.read_text(encoding="utf-8"))]
    assert not offenders, "private members used from another module:\n" + "\n".join(offenders)


def test_the_checks_see_what_they_look_for():
    """The detectors themselves: SQL in a string, an upward arrow, a circle."""
    assert SQL.search("SELECT id FROM memories") and SQL.search("UPDATE memories SET x = 1")
    assert not SQL.search("select what to consolidate") and not SQL.search("Update the memory")
    mods = modules()
    assert "langmem_cli.store.base" in graph()["langmem_cli.store"]
    assert layer("langmem_cli.jobs.extract") == "jobs" and "langmem_cli.cli.app" in mods
    # a type-only circle is a circle; a reach-in is seen, a module's own private use is not
    assert circles({"a": {"b"}, "b": {"a"}}) and not circles({"a": {"b"}, "b": set()})
    assert reach_ins("def f(store):\n    return store._query('x')\n") == [(2, "store._query")]
    assert reach_ins("class A:\n    def __init__(self):\n        self._q = 1\n    def f(self, other):\n"
                     "        return other._q + self._q\n") == []
