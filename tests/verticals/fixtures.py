"""Recorded shapes of the web providers' answers (as their documentation shows them), served by the fixture server
by path. Each function takes the request's path and query and returns (status, content type, body)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from urllib.parse import unquote

Reply = tuple[int, str, str]
JSON = "application/json"


def _json(data: object, status: int = 200) -> Reply:
    return status, JSON, json.dumps(data)


def open_meteo_forecast(start: date) -> dict[str, object]:
    """Open-Meteo /v1/forecast for 7 days from `start`."""
    days = [(start + timedelta(days=i)).isoformat() for i in range(7)]
    return {
        "latitude": 31.25,
        "longitude": 121.5,
        "timezone": "Asia/Shanghai",
        "current_units": {"temperature_2m": "°C"},
        "current": {
            "time": f"{start.isoformat()}T16:30",
            "interval": 900,
            "temperature_2m": 27.4,
            "weather_code": 2,
            "wind_speed_10m": 11.2,
        },
        "daily_units": {"temperature_2m_max": "°C"},
        "daily": {
            "time": days,
            "weather_code": [2, 61, 3, 0, 80, 95, 1],
            "temperature_2m_max": [29.1, 26.0, 28.3, 31.0, 27.5, 25.9, 30.2],
            "temperature_2m_min": [22.4, 21.8, 22.0, 23.1, 22.2, 21.0, 23.3],
            "precipitation_probability_max": [10, 80, 20, 0, 60, 90, 5],
        },
    }


def _air_quality(path: str, query: dict[str, str]) -> Reply:
    return _json(
        {
            "latitude": 39.9,
            "longitude": 116.4,
            "timezone": "Asia/Shanghai",
            "current_units": {"us_aqi": "USAQI", "pm2_5": "μg/m³", "pm10": "μg/m³"},
            "current": {"time": "2025-06-10T16:00", "interval": 3600, "us_aqi": 87, "pm2_5": 29.4, "pm10": 51.0},
        }
    )


def _geocoding(path: str, query: dict[str, str]) -> Reply:
    name = query.get("name", "")
    return _json(
        {
            "results": [
                {
                    "id": 1815577,
                    "name": name.title(),
                    "latitude": 28.19,
                    "longitude": 112.97,
                    "elevation": 50.0,
                    "country_code": "CN",
                    "timezone": "Asia/Shanghai",
                    "country": "China",
                }
            ],
            "generationtime_ms": 0.6,
        }
    )


def _usgs(path: str, query: dict[str, str]) -> Reply:
    base_ms = 1_749_540_000_000  # 2025-06-10 07:20 UTC
    features = [
        (6.4, "112 km E of Hualien City, Taiwan", 0),
        (5.1, "20 km SW of Miyako, Japan", -3_600_000),
        (4.7, "Kepulauan Talaud, Indonesia", -7_200_000),
        (6.8, "central Chile", -86_000_000),
        (3.2, "14 km NW of Anchorage, Alaska", -9_000_000),
        (4.9, "western Turkey", -20_000_000),
        (2.8, "5 km N of The Geysers, CA", -1_000_000),
    ]
    return _json(
        {
            "type": "FeatureCollection",
            "metadata": {"generated": base_ms, "title": "USGS Earthquakes", "status": 200, "count": len(features)},
            "features": [
                {
                    "type": "Feature",
                    "properties": {
                        "mag": mag,
                        "place": place,
                        "time": base_ms + offset,
                        "url": "https://earthquake.usgs.gov/earthquakes/eventpage/x",
                        "tsunami": 0,
                        "type": "earthquake",
                        "title": f"M {mag} - {place}",
                    },
                    "geometry": {"type": "Point", "coordinates": [121.6, 24.0, 10.0]},
                    "id": f"us{i}",
                }
                for i, (mag, place, offset) in enumerate(features)
            ],
        }
    )


_RATES_TO_EUR = {
    "EUR": 1.0,
    "USD": 1.14,
    "CNY": 8.2,
    "JPY": 165.0,
    "GBP": 0.84,
    "HKD": 8.95,
    "KRW": 1560.0,
    "AUD": 1.75,
    "CAD": 1.56,
    "CHF": 0.94,
    "SGD": 1.47,
    "THB": 37.2,
    "INR": 97.5,
}


def _frankfurter(path: str, query: dict[str, str]) -> Reply:
    base, symbol = query.get("base", "EUR"), query.get("symbols", "USD")
    if base not in _RATES_TO_EUR or symbol not in _RATES_TO_EUR:
        return _json({"message": "not found"}, 404)
    rate = round(_RATES_TO_EUR[symbol] / _RATES_TO_EUR[base], 5)
    return _json({"amount": 1.0, "base": base, "date": "2025-06-10", "rates": {symbol: rate}})


def _yahoo(path: str, query: dict[str, str]) -> Reply:
    symbol = unquote(path.rsplit("/", 1)[-1])
    if symbol == "ZZZZ":
        return _json({"chart": {"result": None, "error": {"code": "Not Found", "description": "No data found"}}}, 404)
    return _json(
        {
            "chart": {
                "result": [
                    {
                        "meta": {
                            "currency": "USD",
                            "symbol": symbol,
                            "exchangeName": "NMS",
                            "regularMarketPrice": 203.92,
                            "chartPreviousClose": 201.45,
                            "regularMarketTime": 1749585600,
                            "longName": f"{symbol} Inc.",
                        },
                        "timestamp": [1749585600],
                        "indicators": {"quote": [{"close": [203.92]}]},
                    }
                ],
                "error": None,
            }
        }
    )


def _coingecko(path: str, query: dict[str, str]) -> Reply:
    coin, currency = query.get("ids", "bitcoin"), query.get("vs_currencies", "usd")
    return _json({coin: {currency: 67012.5, f"{currency}_24h_change": -1.83}})


def _wikipedia(path: str, query: dict[str, str]) -> Reply:
    title = unquote(path.rsplit("/", 1)[-1]).replace("_", " ")
    if title.lower() == "mercury disambiguation":
        return _json({"type": "disambiguation", "title": "Mercury", "extract": "Mercury may refer to:"})
    return _json(
        {
            "type": "standard",
            "title": title,
            "description": "subject of an encyclopedia article",
            "extract": f"{title} is the subject of this article. It is described in more detail below. A third "
            "sentence gives more context that a spoken answer does not need.",
            "content_urls": {"desktop": {"page": f"https://en.wikipedia.org/wiki/{path.rsplit('/', 1)[-1]}"}},
        }
    )


def _dictionary(path: str, query: dict[str, str]) -> Reply:
    word = unquote(path.rsplit("/", 1)[-1])
    if word == "qwxz":
        return _json({"title": "No Definitions Found", "message": "Sorry pal"}, 404)
    return _json(
        [
            {
                "word": word,
                "phonetic": f"/{word}/",
                "meanings": [
                    {"partOfSpeech": "noun", "definitions": [{"definition": f"The meaning of {word}.", "example": ""}]},
                    {"partOfSpeech": "verb", "definitions": [{"definition": f"To {word}."}]},
                ],
            }
        ]
    )


def _mymemory(path: str, query: dict[str, str]) -> Reply:
    text, pair = query.get("q", ""), query.get("langpair", "en|zh-CN")
    return _json(
        {
            "responseData": {"translatedText": f"[{pair.split('|')[1]}] {text}", "match": 0.98},
            "responseDetails": "",
            "responseStatus": 200,
            "matches": [],
        }
    )


def _open_library(path: str, query: dict[str, str]) -> Reply:
    if "title" in query:
        docs = [{"title": query["title"].title(), "author_name": ["Ann Author"], "first_publish_year": 1949}]
    else:
        docs = [
            {"title": "First Book", "author_name": [query.get("author", "")], "first_publish_year": 1990},
            {"title": "Second Book", "author_name": [query.get("author", "")], "first_publish_year": 1995},
        ]
    return _json({"numFound": len(docs), "start": 0, "docs": docs})


def _radio_browser(path: str, query: dict[str, str]) -> Reply:
    name = query.get("name") or query.get("tag") or query.get("country") or "station"
    return _json(
        [
            {
                "stationuuid": "9617a958-0601-11e8-ae97-52543be04c81",
                "name": f"{name.title()} FM ",
                "url": "http://stream.example/radio.mp3",
                "url_resolved": "http://stream.example/radio.mp3",
                "homepage": "http://example/",
                "country": "Germany",
                "tags": name,
                "codec": "MP3",
                "bitrate": 128,
            }
        ]
    )


def _osrm(path: str, query: dict[str, str]) -> Reply:
    return _json(
        {
            "code": "Ok",
            "routes": [{"duration": 6912.4, "distance": 137_512.9, "weight": 6912.4, "legs": []}],
            "waypoints": [{"name": "", "location": [116.4, 39.9]}, {"name": "", "location": [117.2, 39.1]}],
        }
    )


_FLIGHTS = ("CCA981", "UAL857", "CES587", "CSN3101", "BAW39", "CPA880", "DLH720", "SIA830", "AFR111", "DAL183")


def _opensky(path: str, query: dict[str, str]) -> Reply:
    states = [
        [
            f"78{i:04x}",
            f"{callsign:<8}",
            "China",
            1749540000,
            1749540001,
            100.1 + i,
            52.3 - i,
            10972.8,
            False,
            236.1,
            95.2,
            0.0,
            None,
            11300.0,
            "1234",
            False,
            0,
        ]
        for i, callsign in enumerate(_FLIGHTS)
    ]
    states.append(
        [
            "7c6b2d",
            "JAL61   ",
            "Japan",
            1749540000,
            1749540001,
            139.78,
            35.55,
            None,
            True,
            0.0,
            90.0,
            None,
            None,
            None,
            None,
            False,
            0,
        ]
    )
    return _json({"time": 1749540000, "states": states})


def _rss(path: str, query: dict[str, str]) -> Reply:
    topic = path.strip("/").replace("/", " ")
    items = "".join(
        f"<item><title>Headline {i} about {topic}</title><link>https://news.example/{i}</link>"
        f"<pubDate>Tue, 10 Jun 2025 07:0{i}:00 GMT</pubDate></item>"
        for i in range(1, 6)
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Example News</title>'
        f"<link>https://news.example/</link><description>news</description>{items}</channel></rss>"
    )
    return 200, "application/rss+xml", body


# Path prefix -> answer; the longest matching prefix wins.
ROUTES: dict[str, Callable[[str, dict[str, str]], Reply]] = {
    "/v1/forecast": lambda path, query: _json(open_meteo_forecast(date(2025, 6, 10))),
    "/v1/air-quality": _air_quality,
    "/v1/search": _geocoding,
    "/earthquakes/feed/": _usgs,
    "/v1/latest": _frankfurter,
    "/v8/finance/chart/": _yahoo,
    "/api/v3/simple/price": _coingecko,
    "/api/rest_v1/page/summary/": _wikipedia,
    "/api/v2/entries/en/": _dictionary,
    "/get": _mymemory,
    "/search.json": _open_library,
    "/json/stations/search": _radio_browser,
    "/route/v1/": _osrm,
    "/api/states/all": _opensky,
    "/news/": _rss,
    "/sport/": _rss,
    "/rss/": _rss,
}


def reply(path: str, query: dict[str, str]) -> Reply:
    matches = [prefix for prefix in ROUTES if path.startswith(prefix)]
    if not matches:
        return 404, JSON, json.dumps({"error": True, "reason": f"no fixture for {path}"})
    return ROUTES[max(matches, key=len)](path, query)
