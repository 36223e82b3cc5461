"""The protocol registry the session layer looks codecs up in."""

from __future__ import annotations

from fengkong.telematics.protocols import PROTOCOLS, gt06, jt808


def test_gt06_and_jt808_are_registered_on_traccar_s_default_ports() -> None:
    assert {name: p.default_port for name, p in PROTOCOLS.items()} == {"gt06": 5023,
                                                                       "jt808": 5015}


def test_each_entry_points_at_its_own_framer_decoder_and_encoder() -> None:
    assert PROTOCOLS["gt06"][1:4] == (gt06.frame, gt06.decode, gt06.encode)
    assert PROTOCOLS["jt808"][1:4] == (jt808.frame, jt808.decode, jt808.encode)
    assert all(name == p.name for name, p in PROTOCOLS.items())
