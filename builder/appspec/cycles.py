"""Cycles in the graph of ``widget.property`` nodes that bindings read from one another."""

from __future__ import annotations


def find_cycles(edges: dict[str, list[str]]) -> list[list[str]]:
    """Each cycle once, as a closed walk (``[a, b, a]``), starting at its earliest node.

    "Earliest" follows the insertion order of ``edges`` (document order), so messages are stable.
    """
    order = {node: i for i, node in enumerate(edges)}
    state: dict[str, int] = {}  # 1 = on the DFS stack, 2 = finished
    stack: list[str] = []
    seen: set[frozenset[str]] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in edges.get(node, []):
            if state.get(target) == 1:
                loop = stack[stack.index(target):]
                if frozenset(loop) not in seen:
                    seen.add(frozenset(loop))
                    first = loop.index(min(loop, key=lambda n: order.get(n, len(order))))
                    loop = loop[first:] + loop[:first]
                    cycles.append([*loop, loop[0]])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in edges:
        if node not in state:
            visit(node)
    return cycles
