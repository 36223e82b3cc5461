"""Fence shapes from GeoJSON (WGS-84 lon/lat): circles (a Point with a radius in metres) and
polygons, checked and turned back into GeoJSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

import shapely
from shapely.geometry import mapping, shape

from fengkong.core.errors import InvalidInput

MAX_RADIUS_M = 2_000_000.0
MAX_VERTICES = 20_000


@dataclass(frozen=True, slots=True)
class Circle:
    lat: float
    lon: float
    radius_m: float


Shape: TypeAlias = "Circle | shapely.Polygon | shapely.MultiPolygon"


def _bad(detail: str, field: str = "geometry") -> InvalidInput:
    return InvalidInput(detail, code="invalid_geometry", field=field)


def _lon_lat_ok(geom: shapely.Geometry) -> bool:
    xy = shapely.get_coordinates(geom)
    return bool(len(xy)) and bool((abs(xy[:, 0]) <= 180).all() and (abs(xy[:, 1]) <= 90).all())


def parse_shape(geometry: Any, radius_m: Any = None, field: str = "geometry") -> Shape:
    """A fence shape from a GeoJSON geometry; a Point needs `radius_m`."""
    if not isinstance(geometry, dict) or "type" not in geometry:
        raise _bad("geometry must be a GeoJSON object with a type", field)
    kind = geometry.get("type")
    if kind == "Point":
        coords = geometry.get("coordinates")
        if (not isinstance(coords, list | tuple) or len(coords) < 2
                or not all(isinstance(c, int | float) for c in coords[:2])):
            raise _bad("a Point needs [longitude, latitude]", f"{field}.coordinates")
        lon, lat = float(coords[0]), float(coords[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise _bad("longitude or latitude out of range", f"{field}.coordinates")
        radius = radius_m if radius_m is not None else geometry.get("radius_m")
        if not isinstance(radius, int | float) or not 1 <= float(radius) <= MAX_RADIUS_M:
            raise _bad(f"a circle needs radius_m between 1 and {MAX_RADIUS_M:.0f}", "radius_m")
        return Circle(lat, lon, float(radius))
    if kind not in ("Polygon", "MultiPolygon"):
        raise _bad("geometry must be a Polygon, a MultiPolygon or a Point with radius_m",
                   f"{field}.type")
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise _bad(f"not a valid GeoJSON {kind}: {exc}", f"{field}.coordinates") from exc
    if geom.is_empty or not _lon_lat_ok(geom):
        raise _bad("coordinates must be WGS-84 longitude, latitude", f"{field}.coordinates")
    if shapely.get_num_coordinates(geom) > MAX_VERTICES:
        raise _bad(f"at most {MAX_VERTICES} vertices", f"{field}.coordinates")
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
        polys = [g for g in shapely.get_parts(geom) if isinstance(g, shapely.Polygon)]
        if not polys:
            raise _bad("the polygon has no area", f"{field}.coordinates")
        geom = shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0]
    if geom.area == 0:
        raise _bad("the polygon has no area", f"{field}.coordinates")
    assert isinstance(geom, shapely.Polygon | shapely.MultiPolygon)
    return geom


def shape_geojson(s: Shape) -> dict[str, Any]:
    if isinstance(s, Circle):
        return {"type": "Point", "coordinates": [s.lon, s.lat], "radius_m": s.radius_m}
    return dict(mapping(s))


def shape_radius(s: Shape) -> float | None:
    return s.radius_m if isinstance(s, Circle) else None
