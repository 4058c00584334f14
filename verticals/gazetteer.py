"""A small offline gazetteer of major cities (Chinese and English names, coordinates, IANA time zone), enough to
resolve the places people most often ask about without a geocoding call."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["CITIES", "City", "distance_km", "find_city", "find_city_in", "nearest_city"]


@dataclass(frozen=True)
class City:
    name_en: str
    name_zh: str
    latitude: float
    longitude: float
    time_zone: str
    country: str


CITIES: tuple[City, ...] = (
    City("Beijing", "北京", 39.9042, 116.4074, "Asia/Shanghai", "CN"),
    City("Shanghai", "上海", 31.2304, 121.4737, "Asia/Shanghai", "CN"),
    City("Guangzhou", "广州", 23.1291, 113.2644, "Asia/Shanghai", "CN"),
    City("Shenzhen", "深圳", 22.5431, 114.0579, "Asia/Shanghai", "CN"),
    City("Chengdu", "成都", 30.5728, 104.0668, "Asia/Shanghai", "CN"),
    City("Hangzhou", "杭州", 30.2741, 120.1551, "Asia/Shanghai", "CN"),
    City("Wuhan", "武汉", 30.5928, 114.3055, "Asia/Shanghai", "CN"),
    City("Xi'an", "西安", 34.3416, 108.9398, "Asia/Shanghai", "CN"),
    City("Nanjing", "南京", 32.0603, 118.7969, "Asia/Shanghai", "CN"),
    City("Chongqing", "重庆", 29.5630, 106.5516, "Asia/Shanghai", "CN"),
    City("Tianjin", "天津", 39.3434, 117.3616, "Asia/Shanghai", "CN"),
    City("Suzhou", "苏州", 31.2990, 120.5853, "Asia/Shanghai", "CN"),
    City("Harbin", "哈尔滨", 45.8038, 126.5349, "Asia/Shanghai", "CN"),
    City("Kunming", "昆明", 25.0389, 102.7183, "Asia/Shanghai", "CN"),
    City("Hong Kong", "香港", 22.3193, 114.1694, "Asia/Hong_Kong", "HK"),
    City("Taipei", "台北", 25.0330, 121.5654, "Asia/Taipei", "TW"),
    City("Tokyo", "东京", 35.6762, 139.6503, "Asia/Tokyo", "JP"),
    City("Seoul", "首尔", 37.5665, 126.9780, "Asia/Seoul", "KR"),
    City("Singapore", "新加坡", 1.3521, 103.8198, "Asia/Singapore", "SG"),
    City("Bangkok", "曼谷", 13.7563, 100.5018, "Asia/Bangkok", "TH"),
    City("New Delhi", "新德里", 28.6139, 77.2090, "Asia/Kolkata", "IN"),
    City("Dubai", "迪拜", 25.2048, 55.2708, "Asia/Dubai", "AE"),
    City("Moscow", "莫斯科", 55.7558, 37.6173, "Europe/Moscow", "RU"),
    City("London", "伦敦", 51.5074, -0.1278, "Europe/London", "GB"),
    City("Paris", "巴黎", 48.8566, 2.3522, "Europe/Paris", "FR"),
    City("Berlin", "柏林", 52.5200, 13.4050, "Europe/Berlin", "DE"),
    City("Vienna", "维也纳", 48.2082, 16.3738, "Europe/Vienna", "AT"),
    City("Rome", "罗马", 41.9028, 12.4964, "Europe/Rome", "IT"),
    City("Madrid", "马德里", 40.4168, -3.7038, "Europe/Madrid", "ES"),
    City("Prague", "布拉格", 50.0755, 14.4378, "Europe/Prague", "CZ"),
    City("New York", "纽约", 40.7128, -74.0060, "America/New_York", "US"),
    City("Los Angeles", "洛杉矶", 34.0522, -118.2437, "America/Los_Angeles", "US"),
    City("San Francisco", "旧金山", 37.7749, -122.4194, "America/Los_Angeles", "US"),
    City("Chicago", "芝加哥", 41.8781, -87.6298, "America/Chicago", "US"),
    City("Toronto", "多伦多", 43.6532, -79.3832, "America/Toronto", "CA"),
    City("Vancouver", "温哥华", 49.2827, -123.1207, "America/Vancouver", "CA"),
    City("Mexico City", "墨西哥城", 19.4326, -99.1332, "America/Mexico_City", "MX"),
    City("Sao Paulo", "圣保罗", -23.5505, -46.6333, "America/Sao_Paulo", "BR"),
    City("Sydney", "悉尼", -33.8688, 151.2093, "Australia/Sydney", "AU"),
    City("Cairo", "开罗", 30.0444, 31.2357, "Africa/Cairo", "EG"),
)

_BY_NAME = {c.name_en.lower(): c for c in CITIES} | {c.name_zh: c for c in CITIES}


def find_city(name: str) -> City | None:
    """A city by its English (any case) or Chinese name."""
    return _BY_NAME.get(name.strip().lower()) or _BY_NAME.get(name.strip())


def find_city_in(text: str) -> City | None:
    """The first known city mentioned in `text` (longest names first, so "New York" beats "York")."""
    lowered = text.lower()
    best: tuple[int, City] | None = None
    for city in CITIES:
        for name in (city.name_zh, city.name_en.lower()):
            at = lowered.find(name) if name.isascii() else text.find(name)
            whole = at >= 0 and (not name.isascii() or _word_at(lowered, at, len(name)))
            if whole and (best is None or at < best[0]):
                best = (at, city)
    return best[1] if best else None


def _word_at(text: str, at: int, length: int) -> bool:
    before = text[at - 1] if at > 0 else " "
    after = text[at + length] if at + length < len(text) else " "
    return not before.isalnum() and not after.isalnum()


def distance_km(a: City, b: City) -> float:
    """Great-circle distance (haversine, Earth radius 6371 km)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def nearest_city(latitude: float, longitude: float) -> tuple[City, float]:
    """The gazetteer city closest to a point, and its distance in km."""
    here = City("", "", latitude, longitude, "UTC", "")
    return min(((c, distance_km(here, c)) for c in CITIES), key=lambda pair: pair[1])
