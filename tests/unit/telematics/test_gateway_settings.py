"""Gateway settings: Traccar's default ports, and values that cannot work refused."""

from __future__ import annotations

import pytest

from fengkong.telematics.gateway import GatewaySettings


def test_the_defaults_are_traccars_ports_and_the_issue_s_timeouts() -> None:
    settings = GatewaySettings()
    assert dict(settings.ports) == {"gt06": 5023, "jt808": 5015}
    assert (settings.idle_timeout, settings.frame_deadline) == (600.0, 60.0)


@pytest.mark.parametrize("overrides", [{"ports": {"tk103": 5002}}, {"ports": {"gt06": 70000}},
                                       {"idle_timeout": 0}, {"burst": 0},
                                       {"frames_per_second": -1}])
def test_settings_that_cannot_work_are_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        GatewaySettings(**overrides)  # type: ignore[arg-type]
