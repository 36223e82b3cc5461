"""GoRules JDM (JSON Decision Model) import and export of decision tables, so that
strategists can edit tables in ZEN's open-source editor. A table becomes a graph of an
input node, one decisionTableNode and an output node; unary cells carry over as they are
(both sides read `< 36`, `[20..39]`, `"A","B"`, empty = any); output cells are literals."""

from __future__ import annotations

import json
from typing import Any

from fengkong.core.errors import InvalidInput
from fengkong.decision.unary import CellError, literal

_POLICIES = {"first": "first", "collect": "collect"}


def export_table(table: dict[str, Any]) -> dict[str, Any]:
    """The JDM graph of one table of a strategy document."""
    policy = table.get("hit_policy", "first")
    if policy not in _POLICIES:
        raise InvalidInput(f"JDM tables know the hit policies first and collect, not {policy}",
                           code="jdm_unsupported", field="hit_policy")
    columns = [c if isinstance(c, str) else c.get("expr", c.get("name")) for c in
               table["inputs"]]
    in_ids = [f"in{k}" for k in range(len(columns))]
    out_ids = [f"out{k}" for k in range(len(table["outputs"]))]
    rules = []
    for i, row in enumerate(table["rows"]):
        cells = {cid: _cell_text(c) for cid, c in zip(in_ids, row["when"], strict=True)}
        then = row.get("then", {})
        outs = {oid: _output_text(then.get(name)) for oid, name in
                zip(out_ids, table["outputs"], strict=True)}
        rules.append({"_id": f"r{i}", **cells, **outs})
    node = {"id": "table", "name": table["name"], "type": "decisionTableNode",
            "position": {"x": 300, "y": 0},
            "content": {"hitPolicy": _POLICIES[policy],
                        "inputs": [{"id": cid, "name": col, "field": col}
                                   for cid, col in zip(in_ids, columns, strict=True)],
                        "outputs": [{"id": oid, "name": name, "field": name}
                                    for oid, name in zip(out_ids, table["outputs"],
                                                         strict=True)],
                        "rules": rules}}
    return {"nodes": [{"id": "request", "name": "request", "type": "inputNode",
                       "position": {"x": 0, "y": 0}}, node,
                      {"id": "response", "name": "response", "type": "outputNode",
                       "position": {"x": 600, "y": 0}}],
            "edges": [{"id": "e1", "sourceId": "request", "targetId": "table", "type": "edge"},
                      {"id": "e2", "sourceId": "table", "targetId": "response",
                       "type": "edge"}]}


def import_table(graph: Any, name: str | None = None) -> dict[str, Any]:
    """A strategy-document table from a JDM graph's decision table (the one called `name`,
    or the only one). Dotted input fields become names with underscores."""
    if not isinstance(graph, dict) or not isinstance(graph.get("nodes"), list):
        raise InvalidInput("a JDM graph has nodes and edges", code="invalid_jdm", field="jdm")
    tables = [n for n in graph["nodes"] if isinstance(n, dict)
              and n.get("type") == "decisionTableNode" and (name is None or n.get("name") == name)]
    if len(tables) != 1:
        raise InvalidInput(f"expected one decision table, found {len(tables)}",
                           code="invalid_jdm", field="jdm.nodes")
    content = tables[0].get("content", {})
    policy = content.get("hitPolicy", "first")
    if policy not in _POLICIES:
        raise InvalidInput(f"unknown hit policy {policy}", code="invalid_jdm",
                           field="jdm.content.hitPolicy")
    inputs, outputs = content.get("inputs", []), content.get("outputs", [])
    rows = []
    for i, rule in enumerate(content.get("rules", [])):
        when = [rule.get(c["id"], "") or "" for c in inputs]
        then = {}
        for o in outputs:
            text = rule.get(o["id"], "")
            if text in ("", None):
                continue
            try:
                then[_name(o["field"])] = literal(str(text).strip())
            except CellError:
                raise InvalidInput(f"rule {i}: output {o['field']} is not a literal: {text}",
                                   code="jdm_unsupported",
                                   field=f"jdm.rules[{i}].{o['id']}") from None
        rows.append({"when": when, "then": then})
    return {"name": str(tables[0].get("name", "table")), "hit_policy": policy,
            "inputs": [_name(c["field"]) for c in inputs],
            "outputs": [_name(o["field"]) for o in outputs], "rows": rows}


def _name(field: str) -> str:
    return field.replace(".", "_")


def _cell_text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    return str(cell)


def _output_text(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False)
