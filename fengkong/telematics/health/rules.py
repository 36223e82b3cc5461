"""Pure device-health rules: from what a device reported (or did not), the alarms it raises
and clears. No database and no clock: the service passes in the memory of the device, the
observations and the time.

Every condition has a dedup key naming the device (or the vehicle and the device) so that
the alerts context merges repeats; a condition is raised once when it starts and cleared
once when it ends (`Memory.active`). Observations older than the newest one judged are
history (re-uploaded or out of order) and raise nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    offline_after: timedelta = timedelta(minutes=20)
    moving_kmh: float = 5.0
    removal_silence: timedelta = timedelta(minutes=10)  # the wired device silent this long…
    partner_fresh: timedelta = timedelta(minutes=10)    # …while the wireless one was heard
    low_battery_pct: int = 20
    battery_ok_pct: int = 40
    stuck_fixes: int = 5
    stuck_for: timedelta = timedelta(minutes=20)
    jamming_reports: int = 3
    jamming_cells: int = 2
    jamming_window: timedelta = timedelta(minutes=10)
    stale: timedelta = timedelta(minutes=10)  # a device alarm this much older than judged

    @classmethod
    def demo(cls) -> HealthPolicy:
        """Short thresholds, so that the demo's faulty trackers alarm within minutes."""
        return cls(offline_after=timedelta(minutes=5), removal_silence=timedelta(minutes=4),
                   partner_fresh=timedelta(minutes=5))


@dataclass(frozen=True, slots=True)
class Finding:
    type: str
    state: str  # raised | cleared
    key: str
    severity: str
    occurred_at: datetime
    evidence: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Memory:
    """What the analyzers remember of a device between observations."""

    active: frozenset[str] = frozenset()
    judged_at: datetime | None = None
    iccid: str | None = None
    same_latitude: float | None = None
    same_longitude: float | None = None
    same_since: datetime | None = None
    same_count: int = 0
    nofix_since: datetime | None = None
    nofix_cells: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Observation:
    """One report of a device: a stored fix (`fix` True) or a report without one."""

    at: datetime
    fix: bool
    position_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    speed_kmh: float = 0.0
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    memory: Memory
    findings: list[Finding] = field(default_factory=list)


def key_of(type_: str, device_id: str) -> str:
    return f"{type_}:{device_id}"


def position_evidence(obs: Observation) -> dict[str, Any]:
    return {"id": obs.position_id, "fix_time": obs.at.isoformat(), "latitude": obs.latitude,
            "longitude": obs.longitude, "speed_kmh": obs.speed_kmh}


class _Judge:
    """Raises and clears conditions against the memory, collecting the findings."""

    def __init__(self, device_id: str, memory: Memory) -> None:
        self.device_id = device_id
        self.memory = memory
        self.active = set(memory.active)
        self.findings: list[Finding] = []

    def raise_(self, type_: str, severity: str, at: datetime, evidence: dict[str, Any],
               once: bool = True) -> None:
        key = key_of(type_, self.device_id)
        if once and key in self.active:
            return
        self.active.add(key)
        self.findings.append(Finding(type_, "raised", key, severity, at, evidence))

    def clear(self, type_: str, at: datetime, text: str) -> None:
        key = key_of(type_, self.device_id)
        if key in self.active:
            self.active.discard(key)
            self.findings.append(Finding(type_, "cleared", key, "info", at, {"text": text}))

    def outcome(self, **changes: Any) -> Outcome:
        memory = replace(self.memory, active=frozenset(self.active), **changes)
        return Outcome(memory, self.findings)


def judge_reports(device_id: str, wired: bool, memory: Memory,
                  observations: Iterable[Observation], policy: HealthPolicy) -> Outcome:
    """A device's new reports, in time order: power, battery, SIM, stuck GPS, jamming, and
    the end of silence. Reports not after the newest judged are skipped as history."""
    fresh = sorted((o for o in observations
                    if memory.judged_at is None or o.at > memory.judged_at),
                   key=lambda o: o.at)
    judge = _Judge(device_id, memory)
    state = memory
    for obs in fresh:
        judge.clear("offline", obs.at, "the device reports again")
        if wired:
            judge.clear("removal", obs.at, "the wired device reports again")
            _power(judge, obs)
        _battery(judge, obs, policy)
        state = _sim(judge, obs, state)
        state = _stuck(judge, obs, state, policy)
        state = _no_fix(judge, obs, state, policy)
    judged = fresh[-1].at if fresh else memory.judged_at
    return judge.outcome(judged_at=judged, iccid=state.iccid,
                         same_latitude=state.same_latitude, same_longitude=state.same_longitude,
                         same_since=state.same_since, same_count=state.same_count,
                         nofix_since=state.nofix_since, nofix_cells=state.nofix_cells)


def _power(judge: _Judge, obs: Observation) -> None:
    charging = obs.attributes.get("charging")
    if charging is False:
        judge.raise_("powerCut", "critical", obs.at, {
            "positions": [position_evidence(obs)] if obs.fix else [],
            "text": "the wired tracker reports its external power is disconnected"})
    elif charging is True:
        judge.clear("powerCut", obs.at, "external power is back")


def _battery(judge: _Judge, obs: Observation, policy: HealthPolicy) -> None:
    level = obs.attributes.get("battery_level")
    if not isinstance(level, int | float) or isinstance(level, bool):
        return
    if level <= policy.low_battery_pct:
        judge.raise_("lowBattery", "warning", obs.at, {
            "battery_level": level, "positions": [position_evidence(obs)] if obs.fix else [],
            "text": f"the tracker's backup battery is at {level} %"})
    elif level >= policy.battery_ok_pct:
        judge.clear("lowBattery", obs.at, f"battery back at {level} %")


def _sim(judge: _Judge, obs: Observation, state: Memory) -> Memory:
    iccid = obs.attributes.get("iccid")
    if not isinstance(iccid, str) or not iccid:
        return state
    if state.iccid is not None and iccid != state.iccid:
        judge.raise_("simChanged", "critical", obs.at, {
            "previous_iccid": state.iccid, "iccid": iccid,
            "text": f"the tracker's SIM changed from {state.iccid} to {iccid}"}, once=False)
    return replace(state, iccid=iccid)


def _stuck(judge: _Judge, obs: Observation, state: Memory, policy: HealthPolicy) -> Memory:
    """The same coordinates to the last digit, fix after fix, while the engine runs or the
    device claims speed: a receiver repeating a frozen fix (a real one always wanders)."""
    if not obs.fix or obs.latitude is None:
        return state
    running = bool(obs.attributes.get("ignition")) or obs.speed_kmh > policy.moving_kmh
    same = (obs.latitude, obs.longitude) == (state.same_latitude, state.same_longitude)
    if not same or not running:
        if not same:
            judge.clear("stuckGps", obs.at, "the fix moves again")
        return replace(state, same_latitude=obs.latitude, same_longitude=obs.longitude,
                       same_since=obs.at if running else None, same_count=1 if running else 0)
    since = state.same_since or obs.at
    count = state.same_count + 1
    if count >= policy.stuck_fixes and obs.at - since >= policy.stuck_for:
        judge.raise_("stuckGps", "warning", obs.at, {
            "positions": [position_evidence(obs)], "fixes": count,
            "since": since.isoformat(),
            "text": f"{count} fixes at the same point since {since:%H:%M} with the engine on"})
    return replace(state, same_since=since, same_count=count)


def _cell(attributes: Mapping[str, Any]) -> str | None:
    parts = [attributes.get(k) for k in ("mcc", "mnc", "lac", "cid")]
    if any(p is None for p in parts[2:]):
        return None
    return "-".join(str(p) for p in parts)


def _no_fix(judge: _Judge, obs: Observation, state: Memory, policy: HealthPolicy) -> Memory:
    """Reports without a fix while the serving cell changes: the car moves but its GPS hears
    nothing, the signature of a jammer (an antenna cut shows no cell change, and devices
    report that one themselves)."""
    if obs.fix:
        judge.clear("jamming", obs.at, "a valid fix again")
        judge.clear("gpsAntennaCut", obs.at, "a valid fix again")
        return replace(state, nofix_since=None, nofix_cells=())
    cell = _cell(obs.attributes)
    if cell is None:
        return state
    since = state.nofix_since
    cells = state.nofix_cells
    if since is None or obs.at - since > policy.jamming_window * 3:
        since, cells = obs.at, ()
    cells = (*cells, cell)[-50:]
    distinct = list(dict.fromkeys(cells))
    if (len(cells) >= policy.jamming_reports and len(distinct) >= policy.jamming_cells
            and obs.at - since <= policy.jamming_window * 3):
        judge.raise_("jamming", "critical", obs.at, {
            "cells": distinct, "reports": len(cells), "since": since.isoformat(),
            "text": f"no GPS fix for {len(cells)} reports while the car crossed "
                    f"{len(distinct)} cells"})
    return replace(state, nofix_since=since, nofix_cells=cells)


# --- alarms the device reports itself --------------------------------------------------------

DEVICE_ALARMS = {"powerCut": "powerCut", "removing": "removal", "tampering": "tampering",
                 "sos": "sos", "lowBattery": "lowBattery", "gpsAntennaCut": "gpsAntennaCut",
                 "jamming": "jamming", "vibration": "vibration", "overspeed": "overspeed",
                 "tow": "towing", "movement": "towing"}
SEVERITY = {"powerCut": "critical", "removal": "critical", "tampering": "critical",
            "sos": "critical", "lowBattery": "warning", "gpsAntennaCut": "critical",
            "jamming": "critical", "vibration": "info", "overspeed": "info",
            "towing": "critical"}


def judge_device_alarms(device_id: str, memory: Memory, names: Sequence[str], at: datetime,
                        position: dict[str, Any] | None, archived: bool,
                        policy: HealthPolicy) -> Outcome:
    """Alarms a tracker raised itself. History (re-uploaded, or well before what was judged
    already) raises nothing; `powerRestored` clears a power cut."""
    judge = _Judge(device_id, memory)
    if archived or (memory.judged_at is not None and at < memory.judged_at - policy.stale):
        return judge.outcome()
    for name in names:
        if name == "powerRestored":
            judge.clear("powerCut", at, "the tracker reports external power restored")
            continue
        type_ = DEVICE_ALARMS.get(name)
        if type_ is None:
            continue
        judge.raise_(type_, SEVERITY[type_], at, {
            "positions": [position] if position else [], "device_alarm": name,
            "text": f"the tracker raised {name}"}, once=False)
    return judge.outcome()


# --- silence ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Silent:
    """A device's live state, for the sweep over silent devices."""

    device_id: str
    last_seen: datetime
    speed_kmh: float | None
    acc: bool | None
    position: dict[str, Any] | None


def judge_offline(device: Silent, now: datetime, policy: HealthPolicy) -> Finding | None:
    """Offline longer than the threshold; critical when the car was last seen moving (it
    may be driving away with the tracker's power or antenna cut)."""
    silence = now - device.last_seen
    if silence < policy.offline_after:
        return None
    moving = (device.speed_kmh or 0.0) > policy.moving_kmh
    minutes = int(silence.total_seconds() // 60)
    text = f"no report for {minutes} min" + (", last seen moving" if moving else "")
    return Finding("offline", "raised", key_of("offline", device.device_id),
                   "critical" if moving else "warning", device.last_seen + policy.offline_after,
                   {"positions": [device.position] if device.position else [],
                    "last_seen": device.last_seen.isoformat(), "moving": moving, "text": text})


def judge_removal(wired: Silent, partner_id: str, partner_seen: datetime, now: datetime,
                  policy: HealthPolicy) -> Finding | None:
    """The wired tracker silent while the hidden wireless one on the same car still reports:
    someone found and pulled the wired one."""
    if now - wired.last_seen < policy.removal_silence:
        return None
    # the wireless unit must have gone on reporting for the whole silence and still do so:
    # two units that fell silent together are a car in a garage, not a removal
    if (now - partner_seen > policy.partner_fresh
            or partner_seen - wired.last_seen < policy.removal_silence):
        return None
    minutes = int((now - wired.last_seen).total_seconds() // 60)
    return Finding("removal", "raised", key_of("removal", wired.device_id), "critical",
                   wired.last_seen + policy.removal_silence,
                   {"positions": [wired.position] if wired.position else [],
                    "wired_last_seen": wired.last_seen.isoformat(),
                    "wireless_device_id": partner_id,
                    "wireless_last_seen": partner_seen.isoformat(),
                    "text": f"the wired tracker is silent for {minutes} min while the "
                            "wireless one still reports"})
