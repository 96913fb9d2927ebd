"""Multi-valued attributes: Count, Item, RemoveDuplicates, Split."""

from __future__ import annotations

from typing import Any

from .environment import Environment
from .registry import register
from .values import null, to_int, to_str

__all__: list[str] = []


@register("Count", ["attribute"], 1)
def _count(args: list[Any], env: Environment) -> Any:
    value = args[0]
    if null(value):
        return 0
    return len(value) if isinstance(value, list) else 1


@register("Item", ["attribute", "index"], 2)
def _item(args: list[Any], env: Environment) -> Any:
    value = args[0]
    if null(value):
        return None
    items = value if isinstance(value, list) else [value]
    index = to_int(args[1], "index")  # documented as 1-based ("Index 0 shouldn't be used")
    return items[index - 1] if 1 <= index <= len(items) else None


@register("RemoveDuplicates", ["attribute"], 1)
def _remove_duplicates(args: list[Any], env: Environment) -> Any:
    value = args[0]
    if null(value):
        return None
    items = value if isinstance(value, list) else [value]
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


@register("Split", ["source", "delimiter"], 2)
def _split(args: list[Any], env: Environment) -> Any:
    if null(args[0]):
        return None
    delimiter = to_str(args[1])
    text = to_str(args[0])
    pieces = text.split(delimiter) if delimiter else [text]
    if env.split_trims:
        # The page's example splits "PermissionSetOne, PermissionSetTwo" on "," into
        # ["PermissionSetOne", "PermissionSetTwo"]: the space after the comma is gone
        # (.NET's String.Split alone would keep it; docs/fidelity.md).
        pieces = [piece.strip() for piece in pieces]
    return pieces
