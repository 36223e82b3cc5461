"""Use cases of strategies: drafts, submission, four-eyes approval, activation, retirement,
rollback, diffs; and the compiled active version that the decision service runs."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from sqlalchemy import select

from fengkong.core import audit_service as audit
from fengkong.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from fengkong.core.ids import new_id
from fengkong.core.uow import UnitOfWork
from fengkong.decision.diff import diff
from fengkong.decision.document import compile_strategy, header
from fengkong.decision.engine import Strategy
from fengkong.decision.models import DecisionStrategy, StrategyVersion
from fengkong.org.scoping import Principal, scoped

STATUSES = ("draft", "submitted", "approved", "active", "retired")
_CACHE: OrderedDict[str, Strategy] = OrderedDict()  # version id -> compiled; versions are frozen
_CACHE_SIZE = 256


def read_document(source: Any) -> dict[str, Any]:
    """A strategy document from an object, or from JSON or YAML text."""
    if isinstance(source, dict):
        return source
    if isinstance(source, str):
        try:
            loaded = json.loads(source) if source.lstrip().startswith("{") else yaml.safe_load(
                source)
        except (ValueError, yaml.YAMLError) as exc:
            raise InvalidInput(f"the document is neither JSON nor YAML: {exc}",
                               code="invalid_document", field="document") from None
        if isinstance(loaded, dict):
            return loaded
    raise InvalidInput("the document is an object (or its JSON or YAML text)",
                       code="invalid_document", field="document")


def create_draft(uow: UnitOfWork, principal: Principal, source: Any) -> StrategyVersion:
    """A new draft version of the strategy the document names (stage and product); the
    strategy is created with its first draft."""
    principal.scope_for("strategies.author")
    document = read_document(source)
    name, stage, product = header(document)
    strategy = uow.session.scalar(select(DecisionStrategy).where(
        DecisionStrategy.tenant_id == principal.tenant_id, DecisionStrategy.stage == stage,
        DecisionStrategy.product == product))
    now = uow.clock.now()
    if strategy is None:
        strategy = DecisionStrategy(id=new_id(), tenant_id=principal.tenant_id, stage=stage,
                                    product=product, name=name, latest_version=0,
                                    created_by=principal.actor_id, created_at=now)
        uow.session.add(strategy)
        uow.session.flush()
    strategy.latest_version += 1
    strategy.name = name
    version = StrategyVersion(id=new_id(), tenant_id=principal.tenant_id,
                              strategy_id=strategy.id, version=strategy.latest_version,
                              status="draft", document=document, author_id=principal.actor_id,
                              created_at=now, updated_at=now)
    uow.session.add(version)
    uow.session.flush()
    _audit(uow, principal, "strategy.draft_created", version, document=document)
    return version


def update_draft(uow: UnitOfWork, principal: Principal, version_id: str,
                 source: Any) -> StrategyVersion:
    version = get_version(uow, principal, version_id, "strategies.author")
    _expect(version, "draft", "only a draft can be edited: submitted versions are immutable")
    document = read_document(source)
    _, stage, product = header(document)
    strategy = uow.session.get(DecisionStrategy, version.strategy_id)
    assert strategy is not None
    if (stage, product) != (strategy.stage, strategy.product):
        raise InvalidInput(f"this draft belongs to {strategy.stage}/{strategy.product}",
                           code="strategy_mismatch", field="document.stage")
    version.document = document
    version.updated_at = uow.clock.now()
    _audit(uow, principal, "strategy.draft_updated", version, document=document)
    return version


def submit(uow: UnitOfWork, principal: Principal, version_id: str) -> StrategyVersion:
    """Freeze a draft after every check of its document passed."""
    version = get_version(uow, principal, version_id, "strategies.author")
    _expect(version, "draft", "only a draft can be submitted")
    compile_strategy(version.document)
    version.status = "submitted"
    version.submitted_at = version.updated_at = uow.clock.now()
    _audit(uow, principal, "strategy.submitted", version)
    return version


def approve(uow: UnitOfWork, principal: Principal, version_id: str) -> StrategyVersion:
    version = get_version(uow, principal, version_id, "strategies.approve")
    _expect(version, "submitted", "only a submitted version can be approved")
    if version.author_id == principal.actor_id:
        raise PermissionDenied("four eyes: the author of a version cannot approve it",
                               code="four_eyes_required")
    version.status = "approved"
    version.approved_by = principal.actor_id
    version.approved_at = version.updated_at = uow.clock.now()
    _audit(uow, principal, "strategy.approved", version)
    return version


def activate(uow: UnitOfWork, principal: Principal, version_id: str) -> StrategyVersion:
    """Make an approved version (or an earlier one, retired) the one in force; the version
    active until now is retired in the same step."""
    version = get_version(uow, principal, version_id, "strategies.approve")
    if version.status not in ("approved", "retired") or version.approved_at is None:
        raise Conflict(f"version {version.version} is {version.status}: only approved or "
                       "retired versions can be activated", code="invalid_state",
                       field="status")
    now = uow.clock.now()
    current = _active(uow, version.strategy_id)
    if current is not None and current.id != version.id:
        current.status = "retired"
        current.retired_at = current.updated_at = now
        uow.session.flush()  # the partial unique index sees one active version at a time
        _audit(uow, principal, "strategy.retired", current, replaced_by=version.version)
    version.status = "active"
    version.activated_by = principal.actor_id
    version.activated_at = version.updated_at = now
    version.retired_at = None
    uow.session.flush()
    _audit(uow, principal, "strategy.activated", version,
           replaced=current.version if current is not None else None)
    uow.emit("decision.strategy_activated", version.tenant_id, strategy_id=version.strategy_id,
             version=version.version)
    return version


def retire(uow: UnitOfWork, principal: Principal, version_id: str) -> StrategyVersion:
    version = get_version(uow, principal, version_id, "strategies.approve")
    if version.status not in ("approved", "active"):
        raise Conflict(f"version {version.version} is {version.status}", code="invalid_state",
                       field="status")
    version.status = "retired"
    version.retired_at = version.updated_at = uow.clock.now()
    _audit(uow, principal, "strategy.retired", version)
    return version


def rollback(uow: UnitOfWork, principal: Principal, strategy_id: str,
             to_version: int | None = None) -> StrategyVersion:
    """One step back: the given earlier version, or the one active before the current one,
    becomes active again."""
    strategy = get_strategy(uow, principal, strategy_id, "strategies.approve")
    candidates = [v for v in versions(uow, strategy) if v.status == "retired"
                  and v.activated_at is not None]
    if to_version is not None:
        candidates = [v for v in candidates if v.version == to_version]
    if not candidates:
        raise Conflict("no earlier active version to roll back to" if to_version is None else
                       f"version {to_version} was never active or is not retired",
                       code="nothing_to_roll_back", field="version")
    target = max(candidates, key=lambda v: (v.activated_at, v.version))
    return activate(uow, principal, target.id)


def _expect(version: StrategyVersion, status: str, message: str) -> None:
    if version.status != status:
        raise Conflict(f"{message} (version {version.version} is {version.status})",
                       code="version_immutable" if status == "draft" else "invalid_state",
                       field="status")


def _audit(uow: UnitOfWork, principal: Principal, action: str, version: StrategyVersion,
           **changes: Any) -> None:
    audit.record(uow, principal, action, entity_type="strategy_version", entity_id=version.id,
                 changes={"strategy_id": version.strategy_id, "version": version.version,
                          "status": version.status, **changes})


def _active(uow: UnitOfWork, strategy_id: str) -> StrategyVersion | None:
    return uow.session.scalar(select(StrategyVersion).where(
        StrategyVersion.strategy_id == strategy_id, StrategyVersion.status == "active"))


# reads

def list_strategies(uow: UnitOfWork, principal: Principal) -> Sequence[DecisionStrategy]:
    stmt = scoped(select(DecisionStrategy), DecisionStrategy, principal, "strategies.read")
    return uow.session.scalars(stmt.order_by(DecisionStrategy.stage,
                                             DecisionStrategy.product)).all()


def get_strategy(uow: UnitOfWork, principal: Principal, strategy_id: str,
                 permission: str = "strategies.read") -> DecisionStrategy:
    strategy = uow.session.scalar(scoped(select(DecisionStrategy), DecisionStrategy, principal,
                                         permission).where(DecisionStrategy.id == strategy_id))
    if strategy is None:
        raise NotFound("strategy", strategy_id)
    return strategy


def versions(uow: UnitOfWork, strategy: DecisionStrategy) -> Sequence[StrategyVersion]:
    return uow.session.scalars(select(StrategyVersion).where(
        StrategyVersion.strategy_id == strategy.id).order_by(StrategyVersion.version)).all()


def get_version(uow: UnitOfWork, principal: Principal, version_id: str,
                permission: str = "strategies.read") -> StrategyVersion:
    version = uow.session.scalar(scoped(select(StrategyVersion), StrategyVersion, principal,
                                        permission).where(StrategyVersion.id == version_id))
    if version is None:
        raise NotFound("strategy version", version_id)
    return version


def version_diff(uow: UnitOfWork, principal: Principal, version_id: str,
                 against_id: str | None = None) -> dict[str, Any]:
    """Changes from `against` (by default the version before) to this version."""
    version = get_version(uow, principal, version_id)
    other: StrategyVersion | None
    if against_id is not None:
        other = get_version(uow, principal, against_id)
    else:
        other = uow.session.scalar(select(StrategyVersion).where(
            StrategyVersion.strategy_id == version.strategy_id,
            StrategyVersion.version == version.version - 1))
    if other is None:
        return {"from": None, "to": version.version, "changes": []}
    if other.strategy_id != version.strategy_id:
        raise InvalidInput("compare versions of one strategy", code="strategy_mismatch",
                           field="against")
    return {"from": other.version, "to": version.version,
            "changes": diff(other.document, version.document)}


def compiled(version: StrategyVersion) -> Strategy:
    """The version's compiled strategy, compiled once per process (frozen documents only)."""
    if version.status == "draft":
        return compile_strategy(version.document)
    found = _CACHE.get(version.id)
    if found is None:
        found = _CACHE[version.id] = compile_strategy(version.document)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return found


def active_version(uow: UnitOfWork, tenant_id: str, stage: str,
                   product: str) -> StrategyVersion | None:
    return uow.session.scalar(select(StrategyVersion).join(
        DecisionStrategy, DecisionStrategy.id == StrategyVersion.strategy_id).where(
        DecisionStrategy.tenant_id == tenant_id, DecisionStrategy.stage == stage,
        DecisionStrategy.product == product, StrategyVersion.status == "active"))


def summary(version: StrategyVersion) -> Mapping[str, Any]:
    return {"id": version.id, "version": version.version, "status": version.status}
