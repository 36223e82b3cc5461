"""`fengkong riskareas import` as an operator runs it: a GeoJSON file into a tenant; a bad
file names its row, exits non-zero and stores nothing."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from fengkong.bootstrap import Container
from fengkong.demo import DemoWorld
from fengkong.telematics.analytics.models import Geofence
from tests.integration.test_cli import run


def _areas(n: int, bad: bool = False) -> dict:  # type: ignore[type-arg]
    features = [{"type": "Feature",
                 "properties": {"name": f"Pawnshop {i}", "category": "pawnshop",
                                "radius_m": 150, "id": f"P{i}"},
                 "geometry": {"type": "Point", "coordinates": [121 + i / 1e4, 31.0]}}
                for i in range(n)]
    features.append({"type": "Feature", "properties": {"name": "Yard", "category":
                                                       "scrapyard" if not bad else "zoo"},
                     "geometry": {"type": "Polygon", "coordinates": [[
                         [121.0, 31.0], [121.01, 31.0], [121.01, 31.01], [121.0, 31.0]]]}})
    return {"type": "FeatureCollection", "features": features}


def count(container: Container) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Geofence)) or 0)


def test_risk_areas_import_from_the_command_line(container: Container, world: DemoWorld,
                                                 database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps(_areas(3000)))
    done = run(database_url, tmp_path, "riskareas", "import", str(path), "--tenant", "demo")
    assert done.returncode == 0, done.stderr
    assert "imported 3001 risk areas" in done.stdout
    assert count(container) == 3001
    path.write_text(json.dumps(_areas(10, bad=True)))
    failed = run(database_url, tmp_path, "riskareas", "import", str(path), "--tenant", "demo",
                 "--replace")
    assert failed.returncode != 0
    assert "features[10].properties.category" in failed.stdout + failed.stderr
    assert count(container) == 3001
