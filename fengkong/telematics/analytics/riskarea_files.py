"""Risk areas read from a file: a GeoJSON FeatureCollection (Polygon, MultiPolygon, or Point
with a `radius_m` property) or a CSV with `name, category, latitude, longitude, radius_m`
and optional `dwell_s` and `id`. Every row is checked; the first bad one names its place."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fengkong.core.errors import InvalidInput
from fengkong.telematics.analytics.shapes import Shape, parse_shape

CATEGORIES = ("used_car_market", "pawnshop", "scrapyard", "rental_market", "transfer_market",
              "port_border", "impound_lot", "other")
DEFAULT_DWELL_S = {"port_border": 0, "impound_lot": 0}
DWELL_S = 600


@dataclass(frozen=True)
class RiskAreaRow:
    name: str
    category: str
    shape: Shape
    dwell_s: int
    external_ref: str | None


def _category(value: Any, field: str) -> str:
    text = str(value or "").strip().lower().replace("-", "_").replace(" ", "_")
    if text not in CATEGORIES:
        raise InvalidInput(f"category must be one of {', '.join(CATEGORIES)}",
                           code="unknown_category", field=field)
    return text


def _dwell(value: Any, category: str, field: str) -> int:
    if value in (None, ""):
        return DEFAULT_DWELL_S.get(category, DWELL_S)
    try:
        dwell = int(float(value))
    except (TypeError, ValueError):
        raise InvalidInput("dwell_s must be a number of seconds", code="invalid_number",
                           field=field) from None
    if not 0 <= dwell <= 7 * 86_400:
        raise InvalidInput("dwell_s must be 0 to 604800", code="out_of_range", field=field)
    return dwell


def _name(value: Any, field: str) -> str:
    text = str(value or "").strip()
    if not 1 <= len(text) <= 200:
        raise InvalidInput("a risk area needs a name (at most 200 characters)",
                           code="required", field=field)
    return text


def read_rows(data: bytes, filename: str = "") -> Iterator[RiskAreaRow]:
    """Rows of a GeoJSON or CSV file (by its name, else by its first character)."""
    text = data.decode("utf-8-sig")
    if filename.lower().endswith((".geojson", ".json")) or text.lstrip().startswith("{"):
        yield from _geojson(text)
    else:
        yield from _csv(text)


def _geojson(text: str) -> Iterator[RiskAreaRow]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not JSON: {exc}", code="invalid_file", field="file") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InvalidInput("expected a GeoJSON FeatureCollection", code="invalid_file",
                           field="file")
    for i, feature in enumerate(doc.get("features") or []):
        at = f"features[{i}]"
        props = feature.get("properties") or {} if isinstance(feature, dict) else {}
        category = _category(props.get("category"), f"{at}.properties.category")
        shape = parse_shape(feature.get("geometry") if isinstance(feature, dict) else None,
                            props.get("radius_m"), f"{at}.geometry")
        yield RiskAreaRow(_name(props.get("name"), f"{at}.properties.name"), category, shape,
                          _dwell(props.get("dwell_s"), category, f"{at}.properties.dwell_s"),
                          str(props["id"]) if props.get("id") is not None else None)


def _csv(text: str) -> Iterator[RiskAreaRow]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"name", "category", "latitude", "longitude", "radius_m"} - set(
        reader.fieldnames or [])
    if missing:
        raise InvalidInput(f"CSV columns missing: {', '.join(sorted(missing))}",
                           code="invalid_file", field="file")
    for line, row in enumerate(reader, start=2):
        at = f"line {line}"
        category = _category(row.get("category"), f"{at}.category")
        try:
            lat, lon = float(row["latitude"]), float(row["longitude"])
            radius = float(row["radius_m"])
        except (TypeError, ValueError):
            raise InvalidInput("latitude, longitude and radius_m must be numbers",
                               code="invalid_number", field=f"{at}.latitude") from None
        shape = parse_shape({"type": "Point", "coordinates": [lon, lat]}, radius, at)
        yield RiskAreaRow(_name(row.get("name"), f"{at}.name"), category, shape,
                          _dwell(row.get("dwell_s"), category, f"{at}.dwell_s"),
                          row.get("id") or None)
