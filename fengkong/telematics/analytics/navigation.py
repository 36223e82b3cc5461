"""Navigation links for field staff: Amap and Apple take GCJ-02 in mainland China, Baidu
BD-09; each link carries the coordinates its provider expects."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fengkong.telematics.analytics.coords import wgs_to_bd_point, wgs_to_gcj_point


@dataclass(frozen=True, slots=True)
class NavLinks:
    amap: str
    baidu: str
    apple: str
    gcj02: tuple[float, float]
    bd09: tuple[float, float]


def nav_links(lat: float, lon: float, label: str = "vehicle") -> NavLinks:
    """Links that open a route to the WGS-84 point (lat, lon) in each provider's app."""
    g_lat, g_lon = wgs_to_gcj_point(lat, lon)
    b_lat, b_lon = wgs_to_bd_point(lat, lon)
    name = quote(label)
    amap = (f"https://uri.amap.com/navigation?to={g_lon:.6f},{g_lat:.6f},{name}"
            "&mode=car&coordinate=gaode&callnative=1")
    baidu = (f"https://api.map.baidu.com/direction?destination=latlng:{b_lat:.6f},{b_lon:.6f}"
             f"|name:{name}&coord_type=bd09ll&mode=driving&output=html&src=fengkong")
    apple = f"https://maps.apple.com/?daddr={g_lat:.6f},{g_lon:.6f}&dirflg=d&q={name}"
    return NavLinks(amap, baidu, apple, (g_lat, g_lon), (b_lat, b_lon))
