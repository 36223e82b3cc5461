"""The published JSON Schema of strategy documents (served at /api/v1/strategies/schema).
The reader in `document.py` enforces it, and more: names, expressions, tables, cycles."""

from __future__ import annotations

from typing import Any

from fengkong.decision.engine import DECISIONS, INPUT_TYPES, STAGES
from fengkong.decision.tables import HIT_POLICIES

_NAME = {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]{0,63}$"}
_EXPR = {"type": "string", "maxLength": 4000,
         "description": "an expression: arithmetic, comparisons, and/or/not, in, is null, "
                        "if-then-else, min max abs round floor ceil len coalesce "
                        "days_between date"}
_CELL = {"type": ["string", "number", "boolean", "null"],
         "description": 'a unary test: empty or "-" = any; < 36; >= 1.5; [20..39]; (0..1]; '
                        '"A","B"; true; null; several separated by commas'}
_NUM_OR_NULL = {"type": ["number", "null"]}

SCORECARD: dict[str, Any] = {
    "type": "object", "required": ["kind", "base_score", "characteristics"],
    "properties": {
        "kind": {"const": "scorecard"}, "name": {"type": "string"}, "version": {},
        "scaling": {"type": "object", "properties": {
            "base_points": {"type": "number"}, "base_odds": {"type": "number"},
            "pdo": {"type": "number"}}},
        "base_score": {"type": "number"},
        "characteristics": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["feature", "type", "reason_code", "bins"],
            "properties": {
                "feature": {"type": "string"}, "type": {"enum": ["number", "string"]},
                "reason_code": {"type": "string", "minLength": 1},
                "description": {"type": "string"},
                "bins": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["points"], "properties": {
                        "lower": _NUM_OR_NULL, "upper": _NUM_OR_NULL,
                        "categories": {"type": "array"}, "other": {"const": True},
                        "missing": {"const": True}, "points": {"type": "number"}}}}}}},
        "development": {"type": "object"},
    },
}

_LEAF = {"type": "object", "required": ["id"], "properties": {
    "id": {"type": "string"}, "actions": {"type": "object", "properties": {
        "decision": {"enum": list(DECISIONS)}}},
    "compute": {"type": "object", "additionalProperties": _EXPR}}}

STRATEGY: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:fengkong:strategy",
    "title": "fengkong strategy document",
    "type": "object", "additionalProperties": False,
    "required": ["kind", "name", "stage", "product", "inputs"],
    "properties": {
        "kind": {"const": "strategy"},
        "name": {"type": "string", "minLength": 1},
        "stage": {"enum": list(STAGES)},
        "product": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "inputs": {"type": "object", "minProperties": 1, "additionalProperties": {
            "oneOf": [{"enum": list(INPUT_TYPES)},
                      {"type": "object", "required": ["type"], "properties": {
                          "type": {"enum": list(INPUT_TYPES)},
                          "required": {"type": "boolean"},
                          "description": {"type": "string"}}}]}},
        "derived": {"type": "object", "additionalProperties": _EXPR},
        "scorecards": {"type": "array", "items": {
            "type": "object", "required": ["variable", "scorecard"],
            "properties": {"variable": _NAME, "scorecard": SCORECARD}}},
        "rule_sets": {"type": "array", "items": {
            "type": "object", "required": ["rules"], "properties": {
                "name": {"type": "string"},
                "rules": {"type": "array", "items": {
                    "type": "object", "required": ["id", "when", "action", "reason_code"],
                    "properties": {"id": {"type": "string"}, "when": _EXPR,
                                   "action": {"enum": ["decline", "refer", "flag"]},
                                   "reason_code": {"type": "string", "minLength": 1},
                                   "text": {"type": "string"}}}}}}},
        "tables": {"type": "array", "items": {
            "type": "object", "required": ["name", "inputs", "outputs", "rows"],
            "properties": {
                "name": {"type": "string"}, "hit_policy": {"enum": list(HIT_POLICIES)},
                "complete": {"type": "boolean", "description": "every input matched by some "
                             "row (default: true except for collect)"},
                "inputs": {"type": "array", "items": {"oneOf": [_EXPR, {
                    "type": "object", "required": ["expr"], "properties": {
                        "expr": _EXPR, "type": {"enum": ["number", "string", "boolean"]}}}]}},
                "outputs": {"type": "array", "items": _NAME, "minItems": 1},
                "rows": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["when"], "properties": {
                        "when": {"type": "array", "items": _CELL},
                        "then": {"type": "object"}, "priority": {"type": "number"}}}}}}},
        "tree": {"$ref": "#/$defs/node"},
        "outputs": {"type": "object", "additionalProperties": {"oneOf": [
            {"enum": ["number", "string", "boolean", "date", "list", "any"]},
            {"type": "object", "required": ["type"], "properties": {
                "type": {"enum": ["number", "string", "boolean", "date", "list", "any"]},
                "value": _EXPR}}]}},
        "challengers": {"type": "array", "items": {
            "type": "object", "required": ["arm", "from", "to"], "properties": {
                "arm": {"type": "string"}, "from": {"type": "integer", "minimum": 0},
                "to": {"type": "integer", "maximum": 999}}}},
        "max_reason_codes": {"type": "integer", "minimum": 0, "maximum": 20},
    },
    "$defs": {"node": {"oneOf": [
        {"type": "object", "required": ["id", "branches", "else"], "properties": {
            "id": {"type": "string"},
            "branches": {"type": "array", "items": {
                "type": "object", "required": ["when", "node"],
                "properties": {"when": _EXPR, "node": {"$ref": "#/$defs/node"}}}},
            "else": {"$ref": "#/$defs/node"}}},
        _LEAF]}},
}
