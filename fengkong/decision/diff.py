"""What changed between two strategy documents, as JSON paths."""

from __future__ import annotations

from typing import Any


def diff(old: Any, new: Any, path: str = "$") -> list[dict[str, Any]]:
    """Every added, removed and changed value; lists compare by position, except lists of
    objects with an "id" (rules, tree nodes), which compare by id."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[dict[str, Any]] = []
        for key in list(old) + [k for k in new if k not in old]:
            where = f"{path}.{key}"
            if key not in new:
                out.append({"path": where, "change": "removed", "old": old[key]})
            elif key not in old:
                out.append({"path": where, "change": "added", "new": new[key]})
            else:
                out += diff(old[key], new[key], where)
        return out
    if isinstance(old, list) and isinstance(new, list):
        if _keyed(old) and _keyed(new):
            return diff({str(i["id"]): i for i in old}, {str(i["id"]): i for i in new}, path)
        out = []
        for i in range(max(len(old), len(new))):
            where = f"{path}[{i}]"
            if i >= len(new):
                out.append({"path": where, "change": "removed", "old": old[i]})
            elif i >= len(old):
                out.append({"path": where, "change": "added", "new": new[i]})
            else:
                out += diff(old[i], new[i], where)
        return out
    if old == new and type(old) is type(new):
        return []
    return [{"path": path, "change": "changed", "old": old, "new": new}]


def _keyed(items: list[Any]) -> bool:
    ids = [i.get("id") for i in items if isinstance(i, dict)]
    return len(ids) == len(items) and None not in ids and len(set(map(str, ids))) == len(ids)
