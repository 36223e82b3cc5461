"""The org tree as materialized paths: "/<root id>/<child id>/…/". Subtree = path prefix."""

from __future__ import annotations

from fengkong.core.errors import InvalidInput

MAX_DEPTH = 16
SEP = "/"


def child_path(parent_path: str | None, unit_id: str) -> str:
    return f"{parent_path or SEP}{unit_id}{SEP}"


def depth_of(path: str) -> int:
    return path.strip(SEP).count(SEP)


def is_within(path: str, ancestor_path: str) -> bool:
    """True when `path` is `ancestor_path` itself or lies below it."""
    return path.startswith(ancestor_path)


def check_move(unit_path: str, new_parent_path: str, subtree_height: int) -> None:
    """Refuse a move that would make a unit its own ancestor or the tree too deep."""
    if is_within(new_parent_path, unit_path):
        raise InvalidInput("a unit cannot move under itself or its own descendants",
                           code="tree_cycle", field="parent_id")
    if depth_of(new_parent_path) + 1 + subtree_height > MAX_DEPTH:
        raise InvalidInput(f"the org tree is limited to {MAX_DEPTH + 1} levels",
                           code="tree_too_deep", field="parent_id")


def rebase(path: str, old_prefix: str, new_prefix: str) -> str:
    if not path.startswith(old_prefix):
        raise ValueError(f"{path} is not under {old_prefix}")
    return new_prefix + path[len(old_prefix):]
