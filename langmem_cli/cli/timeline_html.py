"""The timeline as one self-contained HTML page: inline style, no script, no outside resource
(it opens from a file, offline, and can be mailed or archived as it is)."""

from __future__ import annotations

from html import escape

STYLE = """
:root { --fg:#1d2430; --dim:#7a8494; --line:#e3e7ee; --now:#1f8a4c; --old:#9aa4b2; --bg:#fff; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg);
       margin: 0 auto; max-width: 1100px; padding: 1.5rem; }
h1 { font-size: 1.4rem; margin: 0 0 .2rem; } .summary, .legend { color: var(--dim); margin: .2rem 0; }
.axis { position: relative; height: 1.6rem; border-bottom: 1px solid var(--line); margin: 1rem 0 .5rem; }
.axis span { position: absolute; bottom: .2rem; font-size: .75rem; color: var(--dim); transform: translateX(-50%); white-space: nowrap; }
.chain { border-top: 1px solid var(--line); padding: .6rem 0; }
.memory { margin: .35rem 0; }
.track { position: relative; height: .7rem; background: repeating-linear-gradient(90deg, var(--line) 0 1px, transparent 1px 10%); border-radius: 3px; }
.span { position: absolute; top: 0; height: 100%; min-width: 3px; border-radius: 3px; background: var(--old); }
.current .span { background: var(--now); }
.retracted .span { background: none; border-left: 2px dashed var(--old); }
.text { margin: .2rem 0 0; white-space: pre-line; } .memory:not(.current) .text { color: var(--dim); }
.retracted .text { text-decoration: line-through; }
.meta { margin: 0; font-size: .8rem; color: var(--dim); }
.badge { font-size: .7rem; padding: 0 .4rem; border-radius: 1rem; border: 1px solid currentColor; margin-right: .3rem; }
.current .badge { color: var(--now); }
a { color: inherit; } .memory:target { outline: 2px solid #f2b705; outline-offset: 3px; }
"""
LABEL = {"current": "current", "closed": "closed", "retracted": "replaced before it held", "future": "not yet"}


def _pct(value: float) -> str:
    return f"{value * 100:.3f}%"


def _ticks(line) -> list[tuple[str, float]]:
    from langmem_cli.core.timeline import position

    first, last = line.first, line.last
    if not first:
        return []
    year, month = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    months = []
    while (year, month) <= end:
        months.append(f"{year:04d}-{month:02d}-01")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    step = max(1, -(-len(months) // 10))
    if step >= 12:
        months, step = [m for m in months if m.endswith("-01-01")], max(1, -(-len(months) // 120))
    return [(m[:7] if step < 12 else m[:4], position(m, line)) for m in months[::step] if m >= first[:10]]


def page(line) -> str:
    from langmem_cli.core.timeline import position

    count = sum(len(c.spans) for c in line.chains)
    current = sum(1 for c in line.chains for s in c.spans if s.current)
    title = f"{line.namespace} timeline" + (f" · {line.subject}" if line.subject else "")
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f'<meta name="generator" content="langmem timeline"><title>{escape(title)}</title>',
           f'<style>{STYLE}</style></head><body>',
           f'<header><h1>{escape(title)}</h1>',
           f'<p class="summary">{count} memories · {current} current · '
           f'{escape((line.first or "?")[:10])} → {escape(line.last[:10])} · as of {escape(line.now[:19].replace("T", " "))} UTC</p>',
           '<p class="legend">Each bar runs from when a memory became true to when it stopped (green: current). '
           'Versions of one fact are grouped; a struck-through version was replaced before it ever held.</p></header>',
           '<div class="axis" aria-hidden="true">']
    out += [f'<span style="left:{_pct(at)}">{escape(label)}</span>' for label, at in _ticks(line)]
    out.append('</div><main>')
    for n, chain in enumerate(line.chains):
        out.append(f'<section class="chain{" current" if chain.current else ""}" id="chain-{n + 1}">')
        for span in chain.spans:
            left = position(span.valid_from, line)
            right = position(span.valid_until, line) if span.valid_until else 1.0
            attrs = (f'id="m-{escape(span.id)}" class="memory {span.state}" data-id="{escape(span.id)}" '
                     f'data-state="{span.state}" data-valid-from="{escape(span.valid_from or "")}" '
                     f'data-valid-until="{escape(span.valid_until or "")}"')
            if span.superseded_by:
                attrs += f' data-superseded-by="{escape(span.superseded_by)}"'
            links = [f'<a class="next" href="#m-{escape(span.superseded_by)}">replaced by {escape(span.superseded_by[:8])}</a>'
                     ] if span.superseded_by else []
            links += [f'<a class="previous" href="#m-{escape(old)}">replaces {escape(old[:8])}</a>' for old in span.replaces]
            out += [f'<article {attrs}>',
                    f'<div class="track"><div class="span" style="left:{_pct(left)};width:{_pct(max(0.0, right - left))}"></div></div>',
                    f'<p class="text"><span class="badge">{LABEL[span.state]}</span>{escape(span.text)}</p>',
                    *([f'<p class="meta changes">changed: {escape(" · ".join(span.changes) or "nothing")}</p>']
                      if span.changes is not None else []),
                    f'<p class="meta"><time datetime="{escape(span.valid_from or "")}">{escape((span.valid_from or "…")[:10])}</time>'
                    f' → <time datetime="{escape(span.valid_until or "")}">{escape((span.valid_until or "now")[:10])}</time>'
                    f' · {escape(span.kind)} · <code>{escape(span.id[:8])}</code>'
                    + "".join(f" · {link}" for link in links) + '</p>',
                    '</article>']
        out.append('</section>')
    out.append('</main></body></html>')
    return "\n".join(out) + "\n"
