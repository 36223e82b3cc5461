"""A strategy compiled for evaluation, and the evaluation itself: inputs in, a decision with
its full trace out. Pure: no database, no clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fengkong.decision import scorecard as sc
from fengkong.decision.expr_compile import Compiled, EvaluationError, truth
from fengkong.decision.tables import Table

DECISIONS = ("approve", "refer", "decline")
SEVERITY = {"approve": 0, "refer": 1, "decline": 2}
STAGES = ("application", "account_management", "collections")
INPUT_TYPES = ("number", "string", "boolean", "date", "list")


class DecisionError(ValueError):
    """Evaluation failed; `where` names the part of the strategy (rule, table, node)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


@dataclass(frozen=True)
class InputSpec:
    name: str
    type: str
    required: bool


@dataclass(frozen=True)
class Rule:
    rule_set: str
    id: str
    condition: Compiled
    action: str  # decline | refer | flag
    reason_code: str
    text: str


@dataclass(frozen=True)
class Leaf:
    id: str
    actions: dict[str, Any]
    compute: tuple[tuple[str, Compiled], ...]


@dataclass(frozen=True)
class Split:
    id: str
    branches: tuple[tuple[Compiled, Node], ...]
    otherwise: Node


Node = Leaf | Split


@dataclass(frozen=True)
class Arm:
    name: str
    low: int
    high: int  # inclusive


@dataclass(frozen=True)
class Step:
    """One producer of variables, run in dependency order."""

    kind: str  # derived | scorecard | table
    name: str
    expression: Compiled | None = None
    card: sc.Scorecard | None = None
    table: Table | None = None


@dataclass
class Strategy:
    name: str
    stage: str
    product: str
    inputs: dict[str, InputSpec]
    steps: list[Step]
    rules: list[Rule]
    tree: Node | None
    outputs: dict[str, tuple[str, Compiled | None]]  # name -> (type, value expression)
    arms: list[Arm]
    primary_score: str | None
    max_reason_codes: int = 4
    document: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Flat tuples for the hot loops: one attribute lookup less per rule and input.
        self.rule_fns = [(r.condition.fn, r) for r in self.rules]
        self.input_list = [(s.name, _CHECKS[s.type], s.required) for s in self.inputs.values()]

    def arm_for(self, number: int) -> str:
        for arm in self.arms:
            if arm.low <= number <= arm.high:
                return arm.name
        return "champion"


@dataclass
class Outcome:
    decision: str
    reason_codes: list[str]
    score: float | None
    outputs: dict[str, Any]
    arm: str
    trace: dict[str, Any]


def coerce_inputs(strategy: Strategy, raw: Mapping[str, Any]) -> tuple[dict[str, Any],
                                                                      list[tuple[str, str, str]]]:
    """Typed inputs, and the (field, code, message) of every bad one."""
    values: dict[str, Any] = {}
    bad: list[tuple[str, str, str]] = []
    for name, accepts, required in strategy.input_list:
        value = raw.get(name)
        if value is None:
            if required:
                bad.append((name, "required", f"{name} is required"))
            values[name] = None
        elif accepts(value):
            values[name] = value
        else:
            try:
                values[name] = _convert(strategy.inputs[name].type, value)
            except (TypeError, ValueError):
                bad.append((name, "wrong_type", f"{name} is a {strategy.inputs[name].type}"))
    if len(raw) > len(values) or bad:
        bad += [(key, "unknown_field", f"the strategy has no input {key}")
                for key in raw if key not in strategy.inputs]
    return values, bad


_CHECKS: dict[str, Callable[[Any], bool]] = {
    "number": lambda v: type(v) is int or type(v) is float,
    "string": lambda v: type(v) is str,
    "boolean": lambda v: type(v) is bool,
    "date": lambda v: type(v) is date,
    "list": lambda v: type(v) is list,
}


def _convert(kind: str, value: Any) -> Any:
    """The few conversions allowed: a date from its ISO text."""
    if kind == "date" and type(value) is str:
        return date.fromisoformat(value)
    raise TypeError


def evaluate(strategy: Strategy, inputs: Mapping[str, Any], random_number: int) -> Outcome:
    """Evaluate typed `inputs` (see `coerce_inputs`) for a subject holding `random_number`."""
    arm = strategy.arm_for(random_number)
    env: dict[str, Any] = dict(inputs)
    env["arm"] = arm
    env["random_number"] = random_number
    env["product"] = strategy.product
    derived, cards, tables, score, score_reasons = _produce(strategy, env)
    hits, worst = _rules(strategy.rule_fns, env)
    path: list[str] = []
    actions: dict[str, Any] = {}
    if strategy.tree is not None:
        actions = _walk(strategy.tree, env, path)
    outputs = _outputs(strategy, env, actions)
    chosen = outputs.get("decision") or "approve"
    if chosen not in SEVERITY:
        raise DecisionError("outputs.decision", f"decision {chosen!r} is not one of "
                            f"{', '.join(DECISIONS)}")
    decision = DECISIONS[max(worst, SEVERITY[chosen])]
    outputs["decision"] = decision
    if hits:
        codes = [h["reason_code"] for h in hits if h["action"] == "decline"]
        codes += [h["reason_code"] for h in hits if h["action"] != "decline"]
        reasons = list(dict.fromkeys(codes + score_reasons[:strategy.max_reason_codes]))
    else:
        reasons = score_reasons[:strategy.max_reason_codes]
    trace = {"arm": arm, "random_number": random_number, "derived": derived,
             "scorecards": cards, "tables": tables, "rule_hits": hits, "path": path}
    return Outcome(decision, reasons, score, outputs, arm, trace)


def decide_only(strategy: Strategy, env: dict[str, Any], random_number: int
                ) -> tuple[str, float | None, str]:
    """(decision, score, arm) as `evaluate` gives them, without the trace or the other
    outputs, stopping at the first declining rule: simulation's lean path. Takes over `env`
    (typed inputs from `coerce_inputs`)."""
    arm = strategy.arm_for(random_number)
    env["arm"] = arm
    env["random_number"] = random_number
    env["product"] = strategy.product
    score: float | None = None
    step = None
    try:
        for step in strategy.steps:
            if step.expression is not None:
                env[step.name] = step.expression.fn(env)
            elif step.card is not None:
                env[step.name] = value = sc.score_only(step.card, env)
                if step.name == strategy.primary_score:
                    score = value
            else:
                env.update(step.table.evaluate(env)[0])  # type: ignore[union-attr]
    except (EvaluationError, sc.ScoringError) as exc:
        assert step is not None
        raise DecisionError(f"{step.kind} {step.name}", str(exc)) from None
    worst = 0
    rule = None
    try:
        for fn, rule in strategy.rule_fns:
            if fn(env) is True:
                severity = SEVERITY.get(rule.action, 0)
                if severity == 2:
                    return "decline", score, arm
                worst = max(worst, severity)
    except EvaluationError as exc:
        assert rule is not None
        raise DecisionError(f"rule {rule.id}", str(exc)) from None
    chosen = env.get("decision")
    if strategy.tree is not None:
        node = strategy.tree
        while isinstance(node, Split):
            for condition, child in node.branches:
                taken = _run(condition, env, f"tree node {node.id}")
                if taken is True:
                    node = child
                    break
                if taken is not False and taken is not None:
                    raise DecisionError(f"tree node {node.id}", "a branch condition is not "
                                        f"true or false: {condition.source!r}")
            else:
                node = node.otherwise
        if "decision" in node.actions:
            chosen = node.actions["decision"]
        for name, expression in node.compute:
            if name == "decision":
                chosen = _run(expression, env, f"tree leaf {node.id}.decision")
    chosen = chosen or "approve"
    if chosen not in SEVERITY:
        raise DecisionError("outputs.decision", f"decision {chosen!r} is not one of "
                            f"{', '.join(DECISIONS)}")
    return DECISIONS[max(worst, SEVERITY[chosen])], score, arm


def _produce(strategy: Strategy, env: dict[str, Any]) -> tuple[
        dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], float | None, list[str]]:
    """Run the derived variables, scorecards and tables in dependency order."""
    derived: dict[str, Any] = {}
    tables: list[dict[str, Any]] = []
    cards: list[dict[str, Any]] = []
    score: float | None = None
    score_reasons: list[str] = []
    step = None
    try:
        for step in strategy.steps:
            if step.expression is not None:
                env[step.name] = derived[step.name] = step.expression.fn(env)
            elif step.card is not None:
                result = sc.evaluate(step.card, env)
                env[step.name] = result.score
                cards.append({"variable": step.name, "score": result.score,
                              "points": result.points, "reason_codes": result.reason_codes})
                if step.name == strategy.primary_score:
                    score, score_reasons = result.score, result.reason_codes
            else:
                produced, rows = step.table.evaluate(env)  # type: ignore[union-attr]
                env.update(produced)
                tables.append({"table": step.name, "rows": rows, "outputs": dict(produced)})
    except (EvaluationError, sc.ScoringError) as exc:
        assert step is not None
        source = f" in {step.expression.source!r}" if step.expression is not None else ""
        raise DecisionError(f"{step.kind} {step.name}", f"{exc}{source}") from None
    return derived, cards, tables, score, score_reasons


def _rules(rules: list[tuple[Any, Rule]], env: Mapping[str, Any]
           ) -> tuple[list[dict[str, Any]], int]:
    hits: list[dict[str, Any]] = []
    worst = 0
    rule = None
    try:
        for fn, rule in rules:
            if fn(env) is True:
                hits.append({"rule_set": rule.rule_set, "id": rule.id, "action": rule.action,
                             "reason_code": rule.reason_code, "text": rule.text})
                worst = max(worst, SEVERITY.get(rule.action, 0))
    except EvaluationError as exc:
        assert rule is not None
        raise DecisionError(f"rule {rule.id}", f"{exc} in {rule.condition.source!r}") from None
    return hits, worst


def _run(expression: Compiled, env: Mapping[str, Any], where: str) -> Any:
    try:
        return expression.fn(env)
    except EvaluationError as exc:
        raise DecisionError(where, f"{exc} in {expression.source!r}") from None


def _walk(node: Node, env: dict[str, Any], path: list[str]) -> dict[str, Any]:
    while isinstance(node, Split):
        path.append(node.id)
        for condition, child in node.branches:
            value = _run(condition, env, f"tree node {node.id}")
            try:
                hit = truth(value, 0)
            except EvaluationError:
                raise DecisionError(f"tree node {node.id}", "a branch condition is not "
                                    f"true or false: {condition.source!r}") from None
            if hit:
                node = child
                break
        else:
            node = node.otherwise
    path.append(node.id)
    actions = dict(node.actions)
    for name, expression in node.compute:
        actions[name] = _run(expression, env, f"tree leaf {node.id}.{name}")
    return actions


def _outputs(strategy: Strategy, env: dict[str, Any],
             actions: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (_kind, expression) in strategy.outputs.items():
        if name in actions:
            out[name] = actions[name]
        elif expression is not None:
            out[name] = _run(expression, {**env, **actions}, f"output {name}")
        else:
            out[name] = env.get(name)
        if type(out[name]) is date:
            out[name] = out[name].isoformat()
    for name, value in actions.items():
        out.setdefault(name, value)
    return out
