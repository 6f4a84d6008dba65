"""show-profile and edit-profile: the profile documents, presented to a person and edited by hand."""

from __future__ import annotations

import json
from typing import Any, List, Optional

import typer
from typing_extensions import Annotated

from langmem_cli.cli.options import AsOfOpt, JsonOpt, state
from langmem_cli.errors import ExitCode, InvalidInputError, LangmemError, NotFoundError, UsageError

NamespaceReq = Annotated[str, typer.Option("--namespace", "-n", help="The namespace of the profile.")]
SchemaOpt = Annotated[Optional[str], typer.Option("--schema", "-s", help="profile, PATH.json or module:Class (the profile's kind).")]
MAX_EDITS = 5


def _profiles(store, namespace: str, schema_spec: str | None, as_of: str | None = None):
    from langmem_cli.jobs.consolidate import is_profile

    if schema_spec:
        from langmem_cli.formats.schema_files import load_schema

        schema = load_schema(schema_spec)
        return schema, store.list(namespace=namespace, kinds=[schema.name], limit=None, as_of=as_of)
    return None, [m for m in store.list(namespace=namespace, limit=None, as_of=as_of) if is_profile(m.kind, m.metadata)]


def show_profile(
    ctx: typer.Context,
    namespace: NamespaceReq,
    schema: SchemaOpt = None,
    history: Annotated[bool, typer.Option("--history", help="How the profile changed over time.")] = False,
    as_of: AsOfOpt = None,
    json_mode: JsonOpt = None,
) -> None:
    """Show the profile document(s) of a namespace as a tree (JSON when piped): as it is now, or --as-of DATE."""
    st = state(ctx, json_mode)
    store = st.store()
    _, docs = _profiles(store, namespace, schema, as_of)
    if not history:
        docs = one_per_kind(docs)
    if not docs:
        st.output.info(f"no profile in {namespace}" + (f" of kind {schema}" if schema else ""))
        st.output.data([], lambda c: None)
        return
    if history:
        entries = [e for d in docs for e in store.chain_history(d.id)]
        rows: list[dict[str, Any]] = [{"at": e.at, "action": e.action, "id": e.memory_id, "source": e.source, "run_id": e.run_id,
                 "content": (e.after or {}).get("content"), "changed": _changed((e.before or {}).get("content"),
                                                                              (e.after or {}).get("content"))}
                for e in entries]

        def human_history(console) -> None:
            from langmem_cli.cli.output import table, when

            console.print(table(("at", "action", "changed", "source"), fold=True, rows=(
                (when(r["at"]), r["action"], ", ".join(r["changed"]) or "-", r["source"]) for r in rows)))

        st.output.data(rows, human_history)
        return

    def human(console) -> None:
        from rich.tree import Tree

        for d in docs:
            tree = Tree(f"{d.namespace} · {d.kind} · {d.id} · updated {d.updated_at[:19].replace('T', ' ')}")
            _add(tree, d.content)
            console.print(tree)

    st.output.data([{"id": d.id, "kind": d.kind, "content": d.content, "updated_at": d.updated_at} for d in docs], human)


def one_per_kind(docs: list) -> list:
    """One profile per schema: the version that began last (rows written before versions were
    kept apart, or two profiles put by hand, may both hold at one moment)."""
    latest: dict[str, Any] = {}
    for d in docs:
        best = latest.get(d.kind)
        if best is None or (d.valid_from or "", d.updated_at) > (best.valid_from or "", best.updated_at):
            latest[d.kind] = d
    return [d for d in docs if latest.get(d.kind) is d]


def _add(tree, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                _add(tree.add(f"{key}"), item)
            else:
                tree.add(f"{key}: {'-' if item in (None, '', [], {}) else item}")
    elif isinstance(value, list):
        for item in value:
            _add(tree, item) if isinstance(item, (dict, list)) else tree.add(str(item))
    else:
        tree.add(str(value))


def _changed(before: Any, after: Any) -> list[str]:
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [] if before == after else ["(all)"]
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def set_path(document: dict[str, Any], path: str, raw: str) -> None:
    """Set a dotted path to a JSON value (or the raw string when it is not JSON)."""
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    keys = path.split(".")
    if not all(keys):
        raise UsageError(f"invalid --set path {path!r}")
    node = document
    for key in keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise UsageError(f"--set {path}: {key} is not an object")
    node[keys[-1]] = value


def _validate(schema, kind: str, content: Any) -> Any:
    from langmem_cli.core.schemas import BUILTIN

    if not isinstance(content, dict):
        raise ValueError("a profile must be a JSON object")
    checker = schema or BUILTIN.get(kind)
    return checker.validate(content) if checker else content


def edit_profile(
    ctx: typer.Context,
    namespace: NamespaceReq,
    schema: SchemaOpt = None,
    set_: Annotated[Optional[List[str]], typer.Option("--set", help="path=value (JSON value or text); repeatable; no editor.")] = None,
    json_mode: JsonOpt = None,
) -> None:
    """Edit a profile in $EDITOR (validated on save), or with --set path=value for scripts."""
    st = state(ctx, json_mode)
    store = st.store()
    schema_obj, docs = _profiles(store, namespace, schema)
    if len(docs) > 1:
        raise UsageError(f"{namespace} has {len(docs)} profiles ({', '.join(sorted({d.kind for d in docs}))}): pick one with --schema")
    if not docs and schema_obj is None:
        raise NotFoundError(f"no profile in {namespace} (pass --schema to start one)")
    doc = docs[0] if docs else None
    kind = doc.kind if doc else schema_obj.name
    current = dict(doc.content) if doc else {}
    if set_:
        updated = json.loads(json.dumps(current))
        for item in set_:
            if "=" not in item:
                raise UsageError(f"invalid --set {item!r}: use path=value")
            path, raw = item.split("=", 1)
            set_path(updated, path, raw)
        try:
            updated = _validate(schema_obj, kind, updated)
        except ValueError as exc:
            raise InvalidInputError(f"the profile does not fit kind {kind!r}: {exc}; nothing saved") from None
    else:
        updated = _edit_in_editor(st.output, current, schema_obj, kind)
        if updated is None:
            st.output.info("no changes")
            return
    with st.run("edit-profile", {"namespace": namespace, "kind": kind}) as store:
        if doc is None:
            memory = store.put(namespace, updated, kind=kind, metadata={"profile": True}, source="edit-profile")
        else:
            memory = store.update(doc.id, updated, source="edit-profile")
    st.output.data({"id": memory.id, "kind": kind, "content": memory.content},
                   lambda c: c.print(f"saved profile {memory.id} in {namespace}"))


def _edit_in_editor(out, current: dict[str, Any], schema, kind: str) -> dict[str, Any] | None:
    """$VISUAL / $EDITOR through click.edit; an invalid document reopens the editor on it."""
    import click

    text: str | None = json.dumps(current, indent=2, ensure_ascii=False) + "\n"
    for attempt in range(MAX_EDITS):
        try:
            text = click.edit(text, extension=".json", require_save=False)
        except click.ClickException as exc:
            raise LangmemError(f"{exc.format_message()}; nothing saved", exit_code=ExitCode.FAILURE) from None
        try:
            edited = json.loads(text or "")
            if edited == current:
                return None
            return _validate(schema, kind, edited)
        except ValueError as exc:
            out.warn(f"not saved: {str(exc).splitlines()[0]} (reopening the editor)")
    raise InvalidInputError(f"the profile still does not fit kind {kind!r} after {MAX_EDITS} edits; nothing saved")
