"""Reading a strategy document: every check of the schema and of its meaning (unknown
features, table overlaps and gaps, cycles between variables) with the JSON path of each
problem, then the compiled `Strategy`. Compiling happens once per strategy version."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fengkong.core.errors import InvalidInput
from fengkong.decision import scorecard as sc
from fengkong.decision.coverage import Grid, describe
from fengkong.decision.engine import (
    DECISIONS,
    INPUT_TYPES,
    STAGES,
    Arm,
    InputSpec,
    Leaf,
    Node,
    Rule,
    Split,
    Step,
    Strategy,
)
from fengkong.decision.expr_compile import Compiled, compile_expression
from fengkong.decision.expr_lexer import ExpressionError
from fengkong.decision.problems import Problem, Problems, is_name, is_obj
from fengkong.decision.tables import HIT_POLICIES, Table, compile_row
from fengkong.decision.unary import CellError, parse_cell

TOP_KEYS = {"kind", "name", "stage", "product", "description", "inputs", "derived",
            "scorecards", "tables", "rule_sets", "tree", "outputs", "challengers",
            "max_reason_codes"}
BUILTINS = {"arm": "string", "random_number": "number", "product": "string"}
RULE_ACTIONS = ("decline", "refer", "flag")
OUTPUT_TYPES = ("number", "string", "boolean", "date", "list", "any")
MAX_TREE_DEPTH = 50


def compile_strategy(doc: Any) -> Strategy:
    """The compiled strategy, or InvalidInput listing every problem with its path."""
    problems = Problems()
    strategy = _Reader(problems).read(doc)
    if problems or strategy is None:
        if not problems:
            problems.add("$", "invalid_strategy", "not a strategy document")
        raise problems.error()
    return strategy


def check(doc: Any) -> list[dict[str, str]]:
    """Every problem of a document (empty when it compiles)."""
    problems = Problems()
    _Reader(problems).read(doc)
    return [p.as_dict() for p in problems.items]


def header(doc: Any) -> tuple[str, str, str]:
    """(name, stage, product) of a draft: the little a draft must have to be stored."""
    problems = Problems()
    if not is_obj(doc):
        problems.add("$", "invalid_type", "a strategy document is an object")
        raise problems.error()
    for key in ("name", "product"):
        if not isinstance(doc.get(key), str) or not doc[key].strip():
            problems.add(f"$.{key}", "required", f"{key} is a non-empty text")
    if doc.get("stage") not in STAGES:
        problems.add("$.stage", "invalid_choice", f"stage is one of {', '.join(STAGES)}")
    if problems:
        raise problems.error()
    return doc["name"], doc["stage"], doc["product"]


class _Reader:
    def __init__(self, problems: Problems) -> None:
        self.p = problems
        self.types: dict[str, str] = dict(BUILTINS)
        self.producers: dict[str, str] = {}  # variable -> JSON path of what produces it

    def read(self, doc: Any) -> Strategy | None:
        if not is_obj(doc):
            self.p.add("$", "invalid_type", "a strategy document is an object")
            return None
        for key in doc:
            if key not in TOP_KEYS:
                self.p.add(f"$.{key}", "unknown_field", f"unknown key {key!r}")
        if doc.get("kind") != "strategy":
            self.p.add("$.kind", "invalid_choice", 'kind is "strategy"')
        try:
            name, stage, product = header(doc)
        except InvalidInput as exc:
            self.p.items += [Problem(**e) for e in exc.extra["problems"]]
            name, stage, product = "", "", ""
        inputs = self._inputs(doc.get("inputs"))
        outputs_doc = doc.get("outputs", {})
        self._declare_producers(doc)
        steps = self._steps(doc)
        rules = self._rule_sets(doc.get("rule_sets", []))
        outputs = self._outputs(outputs_doc)
        tree = None
        if doc.get("tree") is not None:
            tree = self._node(doc["tree"], "$.tree", set(outputs) | {"decision"}, set(), 0)
        arms = self._arms(doc.get("challengers", []))
        limit = doc.get("max_reason_codes", 4)
        if type(limit) is not int or not 0 <= limit <= 20:
            self.p.add("$.max_reason_codes", "out_of_range", "max_reason_codes is 0 to 20")
        primary = next((s.name for s in steps if s.kind == "scorecard"), None)
        if self.p:
            return None
        return Strategy(name, stage, product, inputs, steps, rules, tree, outputs, arms,
                        primary, limit, doc)

    # inputs and names

    def _inputs(self, doc: Any) -> dict[str, InputSpec]:
        out: dict[str, InputSpec] = {}
        if not is_obj(doc) or not doc:
            self.p.add("$.inputs", "required", "inputs is an object of named features")
            return out
        for name, spec in doc.items():
            path = f"$.inputs.{name}"
            if not is_name(name) or name in BUILTINS:
                self.p.add(path, "invalid_name", f"{name!r} is not a usable feature name")
                continue
            if isinstance(spec, str):
                spec = {"type": spec}
            if not is_obj(spec) or spec.get("type") not in INPUT_TYPES:
                self.p.add(f"{path}.type", "invalid_choice",
                           f"type is one of {', '.join(INPUT_TYPES)}")
                continue
            required = spec.get("required", True)
            if type(required) is not bool:
                self.p.add(f"{path}.required", "wrong_type", "required is true or false")
            out[name] = InputSpec(name, spec["type"], bool(required))
            self.types[name] = spec["type"]
        return out

    def _claim(self, name: Any, path: str, type_: str) -> bool:
        if not is_name(name):
            self.p.add(path, "invalid_name", f"{name!r} is not a usable variable name")
            return False
        if name in self.types or name in self.producers:
            self.p.add(path, "duplicate_name", f"{name} is defined twice")
            return False
        self.producers[name] = path
        self.types[name] = type_
        return True

    def _declare_producers(self, doc: Mapping[str, Any]) -> None:
        derived = doc.get("derived", {})
        if not is_obj(derived):
            self.p.add("$.derived", "invalid_type", "derived is an object name -> expression")
        else:
            for name in derived:
                self._claim(name, f"$.derived.{name}", "any")
        for i, item in enumerate(_list(doc, "scorecards", self.p)):
            if is_obj(item):
                self._claim(item.get("variable"), f"$.scorecards[{i}].variable", "number")
        for i, table in enumerate(_list(doc, "tables", self.p)):
            outs = table.get("outputs") if is_obj(table) else None
            if not isinstance(outs, list) or not outs:
                self.p.add(f"$.tables[{i}].outputs", "required", "outputs lists names")
                continue
            for j, out in enumerate(outs):
                self._claim(out, f"$.tables[{i}].outputs[{j}]", "any")

    def _expr(self, text: Any, path: str, where: str) -> Compiled | None:
        try:
            return compile_expression(text, self.types)
        except ExpressionError as exc:
            self.p.add(path, exc.code, f"{where}: {exc.message} at position {exc.position}")
            return None

    # producers in dependency order

    def _steps(self, doc: Mapping[str, Any]) -> list[Step]:
        steps: dict[str, Step] = {}
        reads: dict[str, frozenset[str]] = {}
        derived = doc.get("derived", {})
        for name, text in (derived.items() if is_obj(derived) else ()):
            compiled = self._expr(text, f"$.derived.{name}", f"derived {name}")
            if compiled is not None and is_name(name):
                self.types[name] = compiled.type
                steps[name] = Step("derived", name, expression=compiled)
                reads[name] = compiled.names
        for i, item in enumerate(_list(doc, "scorecards", self.p)):
            step = self._scorecard(item, f"$.scorecards[{i}]")
            if step is not None:
                steps[step.name] = step
                reads[step.name] = frozenset(step.card.features)  # type: ignore[union-attr]
        for i, item in enumerate(_list(doc, "tables", self.p)):
            table = self._table(item, f"$.tables[{i}]")
            if table is not None:
                step = Step("table", table.name, table=table)
                names = frozenset(n for c in table.columns for n in c.names)
                for out in table.outputs:
                    steps[out] = step
                    reads[out] = names
        return self._order(steps, reads)

    def _order(self, steps: dict[str, Step], reads: dict[str, frozenset[str]]) -> list[Step]:
        ordered: list[Step] = []
        state: dict[str, int] = {}  # 1 visiting, 2 done

        def visit(name: str, trail: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = trail[trail.index(name):] + [name]
                self.p.add(self.producers.get(name, "$"), "cycle",
                           "variables depend on each other in a circle: " + " -> ".join(cycle))
                return
            state[name] = 1
            for dep in sorted(reads.get(name, ())):
                if dep in steps:
                    visit(dep, [*trail, name])
            state[name] = 2
            if all(s is not steps[name] for s in ordered):
                ordered.append(steps[name])

        for name in steps:
            visit(name, [])
        return ordered

    def _scorecard(self, item: Any, path: str) -> Step | None:
        if not is_obj(item):
            self.p.add(path, "invalid_type", "a scorecard entry is {variable, scorecard}")
            return None
        card = sc.parse(item.get("scorecard"), self.p, f"{path}.scorecard")
        if card is None or not is_name(item.get("variable")):
            return None
        for j, ch in enumerate(card.characteristics):
            if ch.feature not in self.types:
                self.p.add(f"{path}.scorecard.characteristics[{j}].feature", "unknown_feature",
                           f"the strategy has no input or variable {ch.feature}")
            elif self.types[ch.feature] not in ("any", "number" if ch.numeric else "string"):
                self.p.add(f"{path}.scorecard.characteristics[{j}].feature", "type_mismatch",
                           f"{ch.feature} is a {self.types[ch.feature]}")
        return Step("scorecard", item["variable"], card=card)

    def _table(self, doc: Any, path: str) -> Table | None:
        if not is_obj(doc):
            self.p.add(path, "invalid_type", "a decision table is an object")
            return None
        before = len(self.p.items)
        name = doc.get("name")
        if not isinstance(name, str) or not name:
            self.p.add(f"{path}.name", "required", "a table has a name")
        policy = doc.get("hit_policy", "first")
        if policy not in HIT_POLICIES:
            self.p.add(f"{path}.hit_policy", "invalid_choice",
                       f"hit_policy is one of {', '.join(HIT_POLICIES)}")
        columns, kinds = self._columns(doc.get("inputs"), f"{path}.inputs")
        outputs = [o for o in doc.get("outputs", []) if isinstance(o, str)]
        rows_doc = doc.get("rows")
        if not isinstance(rows_doc, list) or not rows_doc:
            self.p.add(f"{path}.rows", "required", "rows is a non-empty list")
            return None
        cells, rows = [], []
        for j, row in enumerate(rows_doc):
            parsed = self._row(row, f"{path}.rows[{j}]", len(columns), kinds, outputs)
            if parsed is not None:
                cells.append(parsed[0])
                rows.append(compile_row([c.test for c in parsed[0]], parsed[1], parsed[2]))
        if len(self.p.items) > before:
            return None
        names = [c.source for c in columns]
        self._check_hits(path, policy, Grid(cells, kinds), rows, names,
                         doc.get("complete", policy != "collect"))
        return Table(name, policy, tuple(columns), tuple(outputs), tuple(rows))

    def _columns(self, doc: Any, path: str) -> tuple[list[Compiled], list[str]]:
        columns: list[Compiled] = []
        kinds: list[str] = []
        if not isinstance(doc, list) or not doc:
            self.p.add(path, "required", "inputs lists the columns' expressions")
            return columns, kinds
        for k, col in enumerate(doc):
            text, declared = (col, None) if isinstance(col, str) else (
                (col.get("expr", col.get("name")), col.get("type")) if is_obj(col)
                else (None, None))
            compiled = self._expr(text, f"{path}[{k}]", f"column {k}")
            if compiled is None:
                continue
            kind = declared or compiled.type
            if kind not in ("number", "string", "boolean"):
                self.p.add(f"{path}[{k}]", "type_unknown", f"column {text!r}: say its type "
                           '(number, string or boolean): {"expr": ..., "type": ...}')
                continue
            columns.append(compiled)
            kinds.append(kind)
        return columns, kinds

    def _row(self, row: Any, path: str, width: int, kinds: list[str],
             outputs: list[str]) -> tuple[list[Any], dict[str, Any], float] | None:
        if not is_obj(row) or not isinstance(row.get("when"), list):
            self.p.add(path, "invalid_row", "a row is {when: [cells], then: {outputs}}")
            return None
        when = row["when"]
        if len(when) != width:
            self.p.add(f"{path}.when", "wrong_width", f"a row has {width} cells")
            return None
        cells = []
        for k, raw in enumerate(when):
            try:
                cell = parse_cell(raw)
            except CellError as exc:
                self.p.add(f"{path}.when[{k}]", "invalid_cell", str(exc))
                continue
            if (kinds[k] != "number" and cell.numbers) or (
                    kinds[k] == "number" and cell.values):
                self.p.add(f"{path}.when[{k}]", "cell_type",
                           f"cell {cell.text!r} does not fit a {kinds[k]} column")
            cells.append(cell)
        then = row.get("then", {})
        if not is_obj(then):
            self.p.add(f"{path}.then", "invalid_type", "then maps outputs to values")
            return None
        for key in then:
            if key not in outputs:
                self.p.add(f"{path}.then.{key}", "unknown_output",
                           f"{key} is not one of the table's outputs")
        priority = row.get("priority", 0)
        if type(priority) not in (int, float):
            self.p.add(f"{path}.priority", "wrong_type", "priority is a number")
            priority = 0
        return cells, dict(then), float(priority)

    def _check_hits(self, path: str, policy: str, grid: Grid, rows: list[Any],
                    names: list[str], complete: bool) -> None:
        every = (1 << len(rows)) - 1
        if policy == "unique" or policy == "priority":
            for a in range(len(rows)):
                for b in range(a + 1, len(rows)):
                    same = policy == "unique" or rows[a].priority == rows[b].priority
                    if same and grid.overlap(a, b):
                        self.p.add(f"{path}.rows[{b}]", "table_overlap",
                                   f"rows {a} and {b} both match some inputs"
                                   + ("" if policy == "unique" else " at the same priority"))
        if policy == "first":
            for j in range(1, len(rows)):
                if grid.gap((1 << j) - 1, within=j) is None:
                    self.p.add(f"{path}.rows[{j}]", "table_row_unreachable",
                               f"row {j} is never reached: earlier rows match all its inputs")
        if complete:
            gap = grid.gap(every)
            if isinstance(gap, list):
                self.p.add(f"{path}.rows", "table_incomplete",
                           f"no row matches {describe(gap, names)}")

    # rules, tree, outputs, arms

    def _rule_sets(self, doc: Any) -> list[Rule]:
        rules: list[Rule] = []
        seen: set[str] = set()
        if not isinstance(doc, list):
            self.p.add("$.rule_sets", "invalid_type", "rule_sets is a list")
            return rules
        for i, rs in enumerate(doc):
            path = f"$.rule_sets[{i}]"
            if not is_obj(rs) or not isinstance(rs.get("rules"), list):
                self.p.add(path, "invalid_type", "a rule set is {name, rules: [...]}")
                continue
            set_name = str(rs.get("name", f"rule_set_{i}"))
            for j, rule in enumerate(rs["rules"]):
                built = self._rule(rule, f"{path}.rules[{j}]", set_name, seen)
                if built is not None:
                    rules.append(built)
        return rules

    def _rule(self, rule: Any, path: str, set_name: str, seen: set[str]) -> Rule | None:
        if not is_obj(rule):
            self.p.add(path, "invalid_type", "a rule is {id, when, action, reason_code, text}")
            return None
        rid = rule.get("id")
        if not isinstance(rid, str) or not rid:
            self.p.add(f"{path}.id", "required", "a rule has an id")
            return None
        if rid in seen:
            self.p.add(f"{path}.id", "duplicate", f"rule id {rid} is used twice")
        seen.add(rid)
        action = rule.get("action")
        if action not in RULE_ACTIONS:
            self.p.add(f"{path}.action", "invalid_choice",
                       f"action is one of {', '.join(RULE_ACTIONS)}")
        code = rule.get("reason_code")
        if not isinstance(code, str) or not code:
            self.p.add(f"{path}.reason_code", "required", "a rule has a reason code")
        condition = self._expr(rule.get("when"), f"{path}.when", f"rule {rid}")
        if condition is None or action not in RULE_ACTIONS or not isinstance(code, str):
            return None
        return Rule(set_name, rid, condition, action, code, str(rule.get("text", "")))

    def _node(self, doc: Any, path: str, outputs: set[str], ids: set[str],
              depth: int) -> Node:
        if depth > MAX_TREE_DEPTH or not is_obj(doc) or not isinstance(doc.get("id"), str):
            self.p.add(path, "invalid_node", "a tree node is an object with an id (and at "
                       f"most {MAX_TREE_DEPTH} levels)")
            return Leaf("invalid", {}, ())
        nid = doc["id"]
        if nid in ids:
            self.p.add(f"{path}.id", "duplicate", f"node id {nid} is used twice")
        ids.add(nid)
        if "branches" not in doc:
            return self._leaf(doc, path, outputs)
        branches = []
        for i, br in enumerate(doc["branches"] if isinstance(doc["branches"], list) else []):
            where = f"{path}.branches[{i}]"
            if not is_obj(br):
                self.p.add(where, "invalid_type", "a branch is {when, node}")
                continue
            cond = self._expr(br.get("when"), f"{where}.when", f"tree node {nid}")
            child = self._node(br.get("node"), f"{where}.node", outputs, ids, depth + 1)
            if cond is not None:
                branches.append((cond, child))
        if "else" not in doc:
            self.p.add(f"{path}.else", "tree_incomplete",
                       f"node {nid} needs an else branch for cases no branch takes")
            return Leaf("invalid", {}, ())
        otherwise = self._node(doc["else"], f"{path}.else", outputs, ids, depth + 1)
        return Split(nid, tuple(branches), otherwise)

    def _leaf(self, doc: Mapping[str, Any], path: str, outputs: set[str]) -> Leaf:
        actions = doc.get("actions", {})
        compute = doc.get("compute", {})
        if not is_obj(actions) or not is_obj(compute):
            self.p.add(path, "invalid_type", "actions and compute are objects")
            return Leaf(doc["id"], {}, ())
        for key, value in actions.items():
            if key not in outputs:
                self.p.add(f"{path}.actions.{key}", "unknown_output",
                           f"{key} is not a declared output")
            if key == "decision" and value not in DECISIONS:
                self.p.add(f"{path}.actions.decision", "invalid_choice",
                           f"decision is one of {', '.join(DECISIONS)}")
        built = []
        for key, text in compute.items():
            if key not in outputs:
                self.p.add(f"{path}.compute.{key}", "unknown_output",
                           f"{key} is not a declared output")
            compiled = self._expr(text, f"{path}.compute.{key}", f"tree leaf {doc['id']}")
            if compiled is not None:
                built.append((key, compiled))
        return Leaf(doc["id"], dict(actions), tuple(built))

    def _outputs(self, doc: Any) -> dict[str, tuple[str, Compiled | None]]:
        out: dict[str, tuple[str, Compiled | None]] = {"decision": ("string", None)}
        if not is_obj(doc):
            self.p.add("$.outputs", "invalid_type", "outputs is an object name -> {type}")
            return out
        for name, spec in doc.items():
            path = f"$.outputs.{name}"
            if isinstance(spec, str):
                spec = {"type": spec}
            if not is_name(name) or not is_obj(spec) or spec.get("type") not in OUTPUT_TYPES:
                self.p.add(path, "invalid_output", f"an output has a type: {OUTPUT_TYPES}")
                continue
            value = spec.get("value")
            compiled = None if value is None else self._expr(value, f"{path}.value",
                                                             f"output {name}")
            out[name] = (spec["type"], compiled)
        return out

    def _arms(self, doc: Any) -> list[Arm]:
        arms: list[Arm] = []
        if not isinstance(doc, list):
            self.p.add("$.challengers", "invalid_type", "challengers is a list")
            return arms
        for i, arm in enumerate(doc):
            path = f"$.challengers[{i}]"
            low, high = (arm.get("from"), arm.get("to")) if is_obj(arm) else (None, None)
            if (not is_obj(arm) or not isinstance(arm.get("arm"), str) or type(low) is not int
                    or type(high) is not int or not 0 <= low <= high <= 999):
                self.p.add(path, "invalid_arm", "an arm is {arm, from, to} within 0..999")
                continue
            for other in arms:
                if other.name == arm["arm"]:
                    self.p.add(f"{path}.arm", "duplicate", f"arm {other.name} is used twice")
                if low <= other.high and other.low <= high:
                    self.p.add(path, "arm_overlap", f"overlaps arm {other.name} "
                               f"({other.low}..{other.high})")
            arms.append(Arm(arm["arm"], low, high))
        return arms


def _list(doc: Mapping[str, Any], key: str, problems: Problems) -> list[Any]:
    value = doc.get(key, [])
    if not isinstance(value, list):
        problems.add(f"$.{key}", "invalid_type", f"{key} is a list")
        return []
    return value
