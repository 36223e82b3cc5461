"""Strategy versions through their lifecycle: drafts, submission checks, four eyes,
activation, one active version, retirement, rollback, diffs and the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fengkong.bootstrap import Container
from fengkong.core.errors import Conflict, InvalidInput, PermissionDenied
from fengkong.core.models import AuditRecord
from fengkong.decision import strategy_service as strategies
from fengkong.decision.models import StrategyVersion
from fengkong.demo import DemoWorld, principal_of
from tests.unit.decision.samples import strategy


def _released(container: Container, document: dict | None = None) -> str:
    """A version written by the admin, approved and activated by the strategist."""
    with container.uow() as uow:
        admin, strategist = principal_of(uow, "demo.admin"), principal_of(uow, "demo.strategist")
        version = strategies.create_draft(uow, admin, document or strategy())
        strategies.submit(uow, admin, version.id)
        strategies.approve(uow, strategist, version.id)
        strategies.activate(uow, strategist, version.id)
        uow.commit()
        return version.id


def test_a_version_goes_from_draft_to_active_with_every_step_audited(
        container: Container, world: DemoWorld) -> None:
    version_id = _released(container)
    with container.uow() as uow:
        version = uow.session.get(StrategyVersion, version_id)
        assert version is not None and version.status == "active"
        assert version.approved_by == world.users["demo.strategist"]
        actions = uow.session.scalars(select(AuditRecord.action).where(
            AuditRecord.entity_id == version_id).order_by(AuditRecord.seq)).all()
        assert actions == ["strategy.draft_created", "strategy.submitted", "strategy.approved",
                           "strategy.activated"]


def test_the_author_cannot_approve_their_own_version(container: Container,
                                                     world: DemoWorld) -> None:
    with container.uow() as uow:
        strategist = principal_of(uow, "demo.strategist")
        version = strategies.create_draft(uow, strategist, strategy())
        strategies.submit(uow, strategist, version.id)
        with pytest.raises(PermissionDenied) as caught:
            strategies.approve(uow, strategist, version.id)
        assert caught.value.code == "four_eyes_required"


def test_approval_needs_the_approver_permission(container: Container,
                                                world: DemoWorld) -> None:
    with container.uow() as uow:
        strategist, admin = principal_of(uow, "demo.strategist"), principal_of(uow, "demo.admin")
        version = strategies.create_draft(uow, strategist, strategy())
        strategies.submit(uow, strategist, version.id)
        with pytest.raises(PermissionDenied):
            strategies.approve(uow, admin, version.id)  # tenant_admin may author, not approve


def test_a_submitted_version_cannot_be_edited(container: Container, world: DemoWorld) -> None:
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        version = strategies.create_draft(uow, admin, strategy())
        changed = strategy()
        changed["derived"]["ltv"] = "loan_amount / car_price * 1.1"
        strategies.update_draft(uow, admin, version.id, changed)
        strategies.submit(uow, admin, version.id)
        with pytest.raises(Conflict) as caught:
            strategies.update_draft(uow, admin, version.id, strategy())
        assert caught.value.code == "version_immutable"
        assert version.document["derived"]["ltv"] == "loan_amount / car_price * 1.1"


def test_a_bad_document_is_refused_at_submission_and_stays_a_draft(
        container: Container, world: DemoWorld) -> None:
    doc = strategy()
    doc["rule_sets"][0]["rules"][0]["when"] = "blacklisted and"
    doc["tables"][0]["rows"].pop()
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        version = strategies.create_draft(uow, admin, doc)
        with pytest.raises(InvalidInput) as caught:
            strategies.submit(uow, admin, version.id)
        problems = {(p["path"], p["code"]) for p in caught.value.extra["problems"]}
        assert problems == {("$.rule_sets[0].rules[0].when", "expression_syntax"),
                            ("$.tables[0].rows", "table_incomplete")}
        assert version.status == "draft"


def test_yaml_documents_are_accepted(container: Container, world: DemoWorld) -> None:
    text = ("kind: strategy\nname: tiny\nstage: collections\nproduct: CAR\n"
            "inputs:\n  dpd: number\n"
            "tree:\n  id: root\n  branches:\n    - when: dpd > 30\n"
            "      node: {id: late, actions: {queue: field}}\n"
            "  else: {id: early, actions: {queue: sms}}\n"
            "outputs:\n  queue: string\n")
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        version = strategies.create_draft(uow, admin, text)
        strategies.submit(uow, admin, version.id)
        assert version.document["tree"]["else"]["actions"] == {"queue": "sms"}


def test_one_active_version_and_rollback_in_one_step(container: Container,
                                                     world: DemoWorld) -> None:
    first = _released(container)
    changed = strategy()
    changed["tree"]["branches"][0]["when"] = "score < 540"
    second = _released(container, changed)
    with container.uow() as uow:
        v1, v2 = (uow.session.get(StrategyVersion, i) for i in (first, second))
        assert v1 is not None and v2 is not None
        assert (v1.status, v2.status) == ("retired", "active")
        strategist = principal_of(uow, "demo.strategist")
        back = strategies.rollback(uow, strategist, v1.strategy_id)
        uow.commit()
        assert back.id == first
        assert (v1.status, v2.status) == ("active", "retired")
        actives = uow.session.scalars(select(StrategyVersion).where(
            StrategyVersion.strategy_id == v1.strategy_id,
            StrategyVersion.status == "active")).all()
        assert [v.id for v in actives] == [first]
        diff = strategies.version_diff(uow, strategist, second)
        assert diff["from"] == 1 and diff["to"] == 2
        assert diff["changes"] == [{"path": "$.tree.branches[0].when", "change": "changed",
                                    "old": "score < 530", "new": "score < 540"}]


def test_rollback_without_an_earlier_version_is_a_conflict(container: Container,
                                                           world: DemoWorld) -> None:
    version_id = _released(container)
    with container.uow() as uow:
        version = uow.session.get(StrategyVersion, version_id)
        assert version is not None
        with pytest.raises(Conflict) as caught:
            strategies.rollback(uow, principal_of(uow, "demo.strategist"), version.strategy_id)
        assert caught.value.code == "nothing_to_roll_back"


def test_a_draft_cannot_be_activated(container: Container, world: DemoWorld) -> None:
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        version = strategies.create_draft(uow, admin, strategy())
        with pytest.raises(Conflict):
            strategies.activate(uow, principal_of(uow, "demo.strategist"), version.id)
