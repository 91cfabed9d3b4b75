"""Stories as the connected groups of pairs: who joins whom, and each story's id.

A story is a connected group of articles (an article that copies two others joins
their stories). Its id is the id of its first article in stored order, so that an id
never moves while the story only grows, and a regroup or rebuild finds the same ids
as the incremental assignment did.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def components(pairs: Iterable[tuple[int, int]]) -> dict[int, int]:
    """``{node: the smallest node of its group}`` for every node of ``pairs`` (numbers in
    stored order, such as rowids); a node in no pair is a group of its own and not listed,
    so that a million articles with few copies cost few entries."""
    parent: dict[int, int] = {}

    def root(node: int) -> int:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in pairs:
        first, second = sorted((root(a), root(b)))
        parent[second] = first  # the root is always the group's first node
    return {node: root(node) for node in parent}


def group(order: Sequence[str], pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``{article: story id}`` for every article of ``order`` (stored order, first first):
    the articles joined by ``pairs`` (directly or through others) share the id of the
    first of them; a pair naming an article not in ``order`` is ignored."""
    rank = {article: number for number, article in enumerate(order)}
    roots = components((rank[a], rank[b]) for a, b in pairs if a in rank and b in rank)
    return {article: order[roots.get(number, number)] for number, article in enumerate(order)}
