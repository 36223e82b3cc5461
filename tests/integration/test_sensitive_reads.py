"""Full reads of personal data are audited with their purpose, and refused without one."""

from __future__ import annotations

import json

import pytest

from fengkong.bootstrap import Container
from fengkong.core import audit_service
from fengkong.core.errors import InvalidInput
from fengkong.core.uow import RequestContext
from fengkong.demo import DemoWorld, principal_of


def test_a_sensitive_read_without_a_purpose_is_refused(container: Container,
                                                       world: DemoWorld) -> None:
    with container.uow() as uow:
        officer = principal_of(uow, "demo.officer")
        with pytest.raises(InvalidInput) as err:
            audit_service.record_sensitive_read(uow, officer, entity_type="customer",
                                                entity_id="C1", fields=["id_number"])
    assert err.value.code == "purpose_required"
    assert err.value.field == "X-Purpose"


def test_a_sensitive_read_records_actor_fields_and_the_purpose_of_the_request(
    container: Container, world: DemoWorld
) -> None:
    context = RequestContext(request_id="r-1", client_addr="10.0.0.9",
                             purpose="credit review of application A-17")
    with container.uow(context) as uow:
        officer = principal_of(uow, "demo.officer")
        rec = audit_service.record_sensitive_read(uow, officer, entity_type="customer",
                                                  entity_id="C1",
                                                  fields=["phone", "id_number"])
        uow.commit()
    assert rec.action == "pii.read"
    assert rec.purpose == "credit review of application A-17"
    assert rec.actor_name == "demo.officer" and rec.org_unit_id == world.units["EAST-SH"]
    assert rec.request_id == "r-1" and rec.client_addr == "10.0.0.9"
    assert json.loads(rec.changes or "{}") == {"fields": ["id_number", "phone"]}
