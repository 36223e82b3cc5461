"""Decisions as records: made from the active version, stored whole, explained, re-run to
the same answer, outcomes recorded, arms compared, simulations over stored inputs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fengkong.bootstrap import Container
from fengkong.core.errors import InvalidInput, NotFound
from fengkong.decision import decision_service as decisions
from fengkong.decision import simulation_service
from fengkong.decision import strategy_service as strategies
from fengkong.decision.arms import random_number
from fengkong.decision.models import Decision
from fengkong.demo import DemoWorld, principal_of
from tests.integration.test_decision_strategies import _released
from tests.unit.decision.samples import GOOD_APPLICANT, strategy


def _champion_subject(tenant_id: str, tag: str) -> str:
    """A subject id of `tag` whose persistent number falls in the champion's range (0-899):
    tenant ids differ between runs, so fixed subject ids would change arms."""
    return next(s for s in (f"{tag}-{k}" for k in range(100))
                if random_number(tenant_id, s) < 900)


def _decide(container: Container, user: str = "demo.officer", **changes: object) -> Decision:
    with container.uow() as uow:
        acting = principal_of(uow, user)
        subject = _champion_subject(acting.tenant_id, str(changes.get("age", "A")))
        made = decisions.decide(uow, acting, "application", decisions.Request(
            "CAR", {**GOOD_APPLICANT, **changes}, subject_id=subject))
        uow.commit()
        uow.session.expunge(made)
        return made


def test_a_decision_stores_version_arm_inputs_trace_and_outputs(
        container: Container, world: DemoWorld) -> None:
    version_id = _released(container)
    made = _decide(container)
    assert made.strategy_version_id == version_id
    assert made.decision == "approve" and made.score == 590.0
    assert made.inputs == {**GOOD_APPLICANT, "bureau_hits": None}
    assert made.trace["path"] == ["root", "high"]
    assert made.trace["scorecards"][0]["points"][0]["points"] == 30.0
    assert made.org_unit_id == world.units["EAST-SH"]
    assert made.arm == "champion"


def test_the_same_subject_keeps_its_arm(container: Container, world: DemoWorld) -> None:
    _released(container)
    first, again = _decide(container, age=41), _decide(container, age=41)
    assert (first.random_number, first.arm) == (again.random_number, again.arm)


CASES = [(16, 0, False, "branch"), (70, 1000, False, "online"), (30, 30000, False, "kiosk"),
         (45, 500, True, "branch"), (22, 9000, False, "online"), (35, 4000, False, "branch"),
         (28, 12000, False, "kiosk"), (50, 0, False, "online")]


def test_rerunning_stored_decisions_gives_the_same_outputs(container: Container,
                                                           world: DemoWorld) -> None:
    _released(container)
    made = [_decide(container, age=age, monthly_debt=debt, blacklisted=blacklisted,
                    channel=channel) for age, debt, blacklisted, channel in CASES]
    assert {m.decision for m in made} == {"approve", "refer", "decline"}
    with container.uow() as uow:
        officer = principal_of(uow, "demo.officer")
        for stored in made:
            again = decisions.rerun(uow, officer, stored.id)
            assert again["same"] is True, again
            assert again["rerun"]["outputs"] == stored.outputs


def test_a_rerun_uses_the_stored_version_after_a_new_one_is_active(
        container: Container, world: DemoWorld) -> None:
    _released(container)
    made = _decide(container, age=24, monthly_debt=9000)  # refer under version 1
    changed = strategy()
    changed["tree"]["branches"][0]["when"] = "score < 560"
    _released(container, changed)
    assert _decide(container, age=24, monthly_debt=9000).decision == "decline"
    with container.uow() as uow:
        again = decisions.rerun(uow, principal_of(uow, "demo.officer"), made.id)
    assert again["same"] is True and again["rerun"]["decision"] == made.decision == "refer"


def test_bad_inputs_are_refused_and_store_nothing(container: Container,
                                                  world: DemoWorld) -> None:
    _released(container)
    with container.uow() as uow:
        officer = principal_of(uow, "demo.officer")
        with pytest.raises(InvalidInput) as caught:
            decisions.decide(uow, officer, "application", decisions.Request(
                "CAR", {**GOOD_APPLICANT, "age": "old"}))
        assert (caught.value.code, caught.value.field) == ("wrong_type", "inputs.age")
        with pytest.raises(InvalidInput) as caught:
            decisions.decide(uow, officer, "application", decisions.Request("TRUCK", {}))
        assert caught.value.code == "no_active_strategy"
        with pytest.raises(NotFound):
            decisions.decide(uow, officer, "origination", decisions.Request("CAR", {}))
        assert uow.session.scalars(select(Decision)).all() == []


def test_an_explanation_names_each_reason_with_its_text(container: Container,
                                                        world: DemoWorld) -> None:
    _released(container)
    made = _decide(container, blacklisted=True)
    with container.uow() as uow:
        found = decisions.get_decision(uow, principal_of(uow, "demo.sh"), made.id)
        explained = decisions.explain(uow, found)
    assert explained["reasons"][0] == {"code": "BLACKLIST",
                                       "text": "Applicant is on a blacklist"}
    assert explained["strategy"]["version"] == 1


def test_a_sibling_branch_does_not_see_the_decision(container: Container,
                                                    world: DemoWorld) -> None:
    _released(container)
    made = _decide(container)
    with container.uow() as uow, pytest.raises(NotFound):
        decisions.get_decision(uow, principal_of(uow, "demo.hz"), made.id)


def test_outcomes_feed_the_arm_report(container: Container, world: DemoWorld) -> None:
    version_id = _released(container)
    made = [_decide(container, age=a) for a in range(30, 50)]
    with container.uow() as uow:
        officer = principal_of(uow, "demo.officer")
        for i, d in enumerate(made):
            decisions.record_outcome(uow, officer, d.id, {"bad": i % 4 == 0})
        uow.commit()
        report = decisions.arms_report(uow, principal_of(uow, "demo.strategist"),
                                       strategies.get_version(
                                           uow, principal_of(uow, "demo.strategist"),
                                           version_id).strategy_id)
    assert sum(a["decisions"] for a in report["arms"]) == 20
    assert sum(a["bad_rate_known"] for a in report["arms"]) == 20
    champion = next(a for a in report["arms"] if a["arm"] == "champion")
    assert 0 <= champion["approval_rate"] <= 1


def test_a_draft_is_simulated_over_stored_decisions(container: Container,
                                                    world: DemoWorld) -> None:
    _released(container)
    for age in (22, 23, 35, 45):
        _decide(container, age=age, monthly_debt=9000)
    changed = strategy()
    changed["tree"]["branches"][0]["when"] = "score < 560"
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        draft = strategies.create_draft(uow, admin, changed)
        report = simulation_service.simulate_version(uow, admin, draft.id)
    assert report["cases"] == 4
    assert report["baseline_version"] == 1 and report["candidate_version"] == 2
    assert report["swap_set"]["refer"]["decline"] == 2
    assert report["baseline"]["approval_rate"] == 0.5


def test_the_demo_strategies_decide_over_http_with_reasons(container: Container) -> None:
    from fastapi.testclient import TestClient

    from fengkong import demo
    from fengkong.api.app import create_app
    from fengkong.decision.demo_data import (
        CHECKING_NEGATIVE,
        EMPLOYED_UNDER_1Y,
        SAVINGS_LOW,
        SOLID,
        demo_scorecard,
        seed_strategies,
    )
    from tests.conftest import login

    world = demo.seed(container)
    with container.uow() as uow:
        seed_strategies(container, uow, world)
        uow.commit()
    assert "DEMO-APP-003 decline" in world.notes[-1], world.notes[-1]
    with TestClient(create_app(container)) as client:
        officer = login(client, "demo.officer")
        for product in ("AUTO-60", "LEASE-48", "CASH-24"):
            answer = client.post("/api/v1/decisions/application", headers=officer,
                                 json={"product": product, "inputs": SOLID})
            assert answer.status_code == 201, answer.text
            assert answer.json()["decision"] == "approve"
        risky = client.post("/api/v1/decisions/application", headers=officer, json={
            "product": "AUTO-60", "inputs": {
                **SOLID, "status_of_existing_checking_account": CHECKING_NEGATIVE,
                "savings_account_and_bonds": SAVINGS_LOW, "duration_in_month": 48,
                "credit_amount": 15000, "age_in_years": 23,
                "present_employment_since": EMPLOYED_UNDER_1Y}})
        body = risky.json()
        assert body["decision"] in ("decline", "refer")
        # the characteristics made worse lose the most points, whichever scorecard is active
        worse = {"status_of_existing_checking_account", "savings_account_and_bonds",
                 "duration_in_month", "credit_amount", "age_in_years",
                 "present_employment_since"}
        codes = {c["reason_code"]: c["feature"]
                 for c in demo_scorecard()["characteristics"]}
        assert {codes[code] for code in body["reason_codes"][:2]} <= worse
        listed = client.get("/api/v1/decisions?product=AUTO-60", headers=officer).json()
        assert len(listed["items"]) == 6  # four demo decisions, the solid and the risky one
