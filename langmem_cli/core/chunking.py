"""Split a transcript into token-budgeted chunks at message boundaries (no I/O)."""

from __future__ import annotations

from typing import Sequence


def estimate_tokens(text: str) -> int:
    """A provider-independent estimate: about 4 characters per token."""
    return max(1, (len(text) + 3) // 4)


def chunk_lines(lines: Sequence[str], budget: int) -> list[str]:
    """Group rendered message lines into chunks of at most ``budget`` estimated tokens.

    A line longer than the budget is cut into pieces of the budget's size.
    """
    if budget < 16:
        raise ValueError("chunk budget must be at least 16 tokens")
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for line in lines:
        cost = estimate_tokens(line)
        if cost > budget:
            if current:
                chunks.append("\n".join(current))
                current, used = [], 0
            width = budget * 4
            chunks.extend(line[i : i + width] for i in range(0, len(line), width))
            continue
        if used + cost > budget and current:
            chunks.append("\n".join(current))
            current, used = [], 0
        current.append(line)
        used += cost
    if current:
        chunks.append("\n".join(current))
    return chunks
