"""The org tree as materialised paths: depth, subtrees, and the moves it refuses."""

from __future__ import annotations

import pytest

from fengkong.core.errors import InvalidInput
from fengkong.org.tree import MAX_DEPTH, check_move, child_path, depth_of, is_within, rebase

HQ = child_path(None, "HQ")
EAST = child_path(HQ, "EAST")
EAST_SH = child_path(EAST, "SH")
WEST = child_path(HQ, "WEST")


def chain_of_depth(depth: int) -> str:
    path = HQ
    for level in range(depth):
        path = child_path(path, f"L{level}")
    return path


def test_a_root_path_is_its_id_between_separators() -> None:
    assert HQ == "/HQ/"
    assert child_path("", "HQ") == "/HQ/"


def test_a_child_path_extends_its_parents_path() -> None:
    assert EAST == "/HQ/EAST/"
    assert EAST_SH == "/HQ/EAST/SH/"


def test_depth_counts_levels_below_the_root() -> None:
    assert depth_of(HQ) == 0
    assert depth_of(EAST) == 1
    assert depth_of(EAST_SH) == 2
    assert depth_of(chain_of_depth(9)) == 9


def test_a_unit_is_within_itself_and_its_ancestors() -> None:
    assert is_within(EAST_SH, EAST_SH)
    assert is_within(EAST_SH, EAST)
    assert is_within(EAST_SH, HQ)


def test_a_unit_is_not_within_its_descendants_or_siblings() -> None:
    assert not is_within(EAST, EAST_SH)
    assert not is_within(EAST_SH, WEST)


def test_a_sibling_whose_id_starts_with_another_sibling_is_not_within_it() -> None:
    assert not is_within(child_path(HQ, "EAST2"), EAST)


def test_moving_a_unit_to_another_branch_is_allowed() -> None:
    check_move(EAST_SH, WEST, subtree_height=0)
    check_move(EAST, WEST, subtree_height=1)


@pytest.mark.parametrize("new_parent", [EAST, EAST_SH, child_path(EAST_SH, "DEEP")])
def test_a_unit_cannot_move_under_itself_or_a_descendant(new_parent: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_move(EAST, new_parent, subtree_height=2)
    assert caught.value.code == "tree_cycle"
    assert caught.value.field == "parent_id"


def test_a_move_that_would_make_the_tree_too_deep_is_refused() -> None:
    deep_parent = chain_of_depth(MAX_DEPTH - 2)
    check_move(EAST, deep_parent, subtree_height=1)  # deepest lands exactly on MAX_DEPTH
    with pytest.raises(InvalidInput) as caught:
        check_move(EAST, deep_parent, subtree_height=2)
    assert caught.value.code == "tree_too_deep"
    assert caught.value.field == "parent_id"


def test_a_leaf_cannot_move_under_a_parent_at_the_deepest_level() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_move(WEST, chain_of_depth(MAX_DEPTH), subtree_height=0)
    assert caught.value.code == "tree_too_deep"


def test_rebase_moves_a_path_from_one_prefix_to_another() -> None:
    new_east = child_path(WEST, "EAST")
    assert rebase(EAST_SH, EAST, new_east) == "/HQ/WEST/EAST/SH/"
    assert rebase(EAST, EAST, new_east) == new_east


def test_rebase_refuses_a_path_outside_the_old_prefix() -> None:
    with pytest.raises(ValueError):
        rebase(WEST, EAST, "/X/")
