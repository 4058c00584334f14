"""air_quality and earthquake: the air quality index from Open-Meteo's air-quality API and recent earthquakes from
the USGS GeoJSON summary feeds (both keyless)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from simulagent.verticals.api import ProviderError, SlotSpec, Vertical, VerticalContext, VerticalResult
from simulagent.verticals.gazetteer import find_city_in
from simulagent.verticals.geocode import locate
from simulagent.verticals.slots import find_number
from simulagent.verticals.web import HTTP

__all__ = ["AIR_QUALITY", "EARTHQUAKE", "aqi_category"]

# US EPA AQI bands (upper bound inclusive) with the wording of China's air-quality levels.
_AQI_BANDS = (
    (50, "优", "good"),
    (100, "良", "moderate"),
    (150, "轻度污染", "unhealthy for sensitive groups"),
    (200, "中度污染", "unhealthy"),
    (300, "重度污染", "very unhealthy"),
    (10_000, "严重污染", "hazardous"),
)


def aqi_category(aqi: float, lang: str) -> str:
    """The band of a US AQI value, in Chinese or English."""
    for upper, zh, en in _AQI_BANDS:
        if aqi <= upper:
            return zh if lang == "zh" else en
    return "严重污染" if lang == "zh" else "hazardous"


def _city_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    city = find_city_in(utterance)
    return {"city": city.name_en} if city else ({"city": ctx.home_city} if ctx.home_city else {})


def _air_quality(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    label = ctx.say("空气质量服务", "the air-quality service")
    city = locate(str(slots["city"]), ctx)
    http: HTTP = ctx.http or HTTP()
    data = http.get_json(
        "open-meteo-air-quality",
        label,
        "/v1/air-quality",
        {
            "latitude": city.latitude,
            "longitude": city.longitude,
            "timezone": city.time_zone,
            "current": "us_aqi,pm2_5,pm10",
        },
    )
    try:
        current = data["current"]
        aqi = float(current["us_aqi"])
        pm25 = float(current["pm2_5"])
        pm10 = float(current.get("pm10") or 0.0)
    except (KeyError, TypeError, ValueError):
        raise ProviderError(label, "the answer was missing expected fields") from None
    name = city.name_zh if ctx.lang == "zh" else city.name_en
    text = ctx.say(
        f"{name}现在空气质量指数{aqi:.0f}，{aqi_category(aqi, 'zh')}，PM2.5 每立方米{pm25:.0f}微克。",
        f"The air quality index in {name} is {aqi:.0f}, {aqi_category(aqi, 'en')}; PM2.5 is {pm25:.0f} µg/m³.",
    )
    return VerticalResult(
        text,
        ctx.lang,
        {"city": city.name_en, "us_aqi": aqi, "pm2_5": pm25, "pm10": pm10, "category": aqi_category(aqi, "en")},
        "Open-Meteo air quality",
    )


AIR_QUALITY = Vertical(
    id="air_quality",
    name_zh="空气质量",
    name_en="Air quality",
    description_zh="城市当前的空气质量指数和 PM2.5（Open-Meteo）。",
    description_en="The current air quality index and PM2.5 of a city (Open-Meteo).",
    examples_zh=(
        "北京空气质量怎么样",
        "上海今天PM2.5多少",
        "广州的空气指数",
        "成都今天有雾霾吗",
        "西安空气好不好",
        "深圳现在空气质量",
        "杭州的AQI是多少",
        "武汉空气污染严重吗",
        "东京空气质量如何",
        "伦敦的空气质量",
        "南京今天适合户外运动吗空气怎么样",
        "天津现在PM2.5",
    ),
    examples_en=(
        "what's the air quality in Beijing",
        "PM2.5 in Shanghai today",
        "air quality index for Guangzhou",
        "is there smog in Chengdu today",
        "is the air good in Xi'an",
        "current air quality in Shenzhen",
        "what is the AQI in Hangzhou",
        "how polluted is the air in Wuhan",
        "air quality in Tokyo",
        "London air quality",
        "is the air clean enough to run outside in Nanjing",
        "PM2.5 level in Tianjin right now",
    ),
    slots=(SlotSpec("city", "city", required=True, question_zh="哪个城市？", question_en="Which city?"),),
    triggers=(
        r"空气|pm2\.?5|aqi|雾霾|污染|霾|pm10",
        r"air quality|\bsmog\b|pollution|\baqi\b|pm2\.?5|pm10|polluted|haz(e|y)\b",
        "the air (good|clean|bad|quality)|air clean",
    ),
    extract=_city_slots,
    handler=_air_quality,
    source="web (Open-Meteo air quality)",
)


# Chinese names of regions people ask about, matched against USGS's English place descriptions.
_REGIONS_ZH = {
    "日本": "Japan",
    "台湾": "Taiwan",
    "中国": "China",
    "印尼": "Indonesia",
    "印度尼西亚": "Indonesia",
    "菲律宾": "Philippines",
    "智利": "Chile",
    "土耳其": "Turkey",
    "美国": "United States",
    "加州": "CA",
    "阿拉斯加": "Alaska",
    "新西兰": "New Zealand",
    "墨西哥": "Mexico",
    "秘鲁": "Peru",
    "意大利": "Italy",
    "希腊": "Greece",
}
_REGIONS_EN = {
    "japan": "Japan",
    "taiwan": "Taiwan",
    "china": "China",
    "indonesia": "Indonesia",
    "philippines": "Philippines",
    "chile": "Chile",
    "turkey": "Turkey",
    "california": "CA",
    "alaska": "Alaska",
    "new zealand": "New Zealand",
    "mexico": "Mexico",
    "peru": "Peru",
    "italy": "Italy",
    "greece": "Greece",
}


def _quake_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    lowered = utterance.lower()
    out: dict[str, str] = {"period": "day"}
    if re.search(r"(week|7 days|seven days|一周|本周|这周|七天|这几天)", lowered):
        out["period"] = "week"
    elif re.search(r"(month|30 days|一个月|本月|这个月)", lowered):
        out["period"] = "month"
    elif re.search(r"(hour|一小时|刚才|刚刚)", lowered):
        out["period"] = "hour"
    magnitude = re.search(
        r"(?:magnitude|mag\.?)\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*(?:级|\+|or more|or above)", lowered
    )
    spelled = re.search(r"([一二三四五六七八九])级", utterance)
    if magnitude:
        out["min_magnitude"] = magnitude[1] or magnitude[2]
    elif spelled:
        out["min_magnitude"] = f"{find_number(spelled[1]):g}"
    elif re.search(r"(big|major|strong|significant|大地震|强震|强烈)", lowered):
        out["min_magnitude"] = "6"
    for table, text in ((_REGIONS_ZH, utterance), (_REGIONS_EN, lowered)):
        for name, region in table.items():
            if name in text:
                out["region"] = region
                break
    return out


def _earthquake(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    label = ctx.say("地震信息服务", "the earthquake service")
    period = str(slots.get("period", "day"))
    minimum = float(slots.get("min_magnitude", 2.5))
    # USGS publishes feeds per magnitude floor; take the widest one below the request and filter exactly here.
    feed = "significant" if minimum >= 6.5 else "4.5" if minimum >= 4.5 else "2.5" if minimum >= 2.5 else "all"
    http: HTTP = ctx.http or HTTP()
    data = http.get_json("usgs", label, f"/earthquakes/feed/v1.0/summary/{feed}_{period}.geojson")
    try:
        quakes = [
            (float(f["properties"]["mag"]), str(f["properties"]["place"] or ""), int(f["properties"]["time"]))
            for f in data["features"]
            if f["properties"].get("mag") is not None
        ]
    except (KeyError, TypeError, ValueError):
        raise ProviderError(label, "the answer was missing expected fields") from None
    region = str(slots.get("region", ""))
    quakes = [q for q in quakes if q[0] >= minimum and (not region or region.lower() in q[1].lower())]
    span_zh = {"hour": "过去一小时", "day": "过去一天", "week": "过去一周", "month": "过去一个月"}[period]
    span_en = {"hour": "the past hour", "day": "the past day", "week": "the past week", "month": "the past month"}[
        period
    ]
    region_zh = next((zh for zh, en in _REGIONS_ZH.items() if en == region), region)
    where_zh = f"{region_zh}附近" if region else "全球"
    where_en = f" near {region}" if region else " worldwide"
    if not quakes:
        text = ctx.say(
            f"{span_zh}{where_zh}没有{minimum:g}级以上的地震记录。",
            f"No earthquakes of magnitude {minimum:g} or more{where_en} in {span_en}.",
        )
        return VerticalResult(text, ctx.lang, {"count": 0, "quakes": []}, "USGS")
    strongest = max(quakes, key=lambda q: q[0])
    when = datetime.fromtimestamp(strongest[2] / 1000, UTC).astimezone(ZoneInfo(ctx.time_zone))
    text = ctx.say(
        f"{span_zh}{where_zh}共有{len(quakes)}次{minimum:g}级以上地震，最强的是{strongest[0]:.1f}级，"
        f"位于{strongest[1]}，发生在{when.month}月{when.day}日{when:%H:%M}。",
        f"{len(quakes)} earthquake{'s' if len(quakes) > 1 else ''} of magnitude {minimum:g} or more{where_en} in "
        f"{span_en}; the strongest was magnitude {strongest[0]:.1f}, {strongest[1]}, on {when:%B} {when.day} at "
        f"{when:%H:%M}.",
    )
    listed = [
        {"magnitude": m, "place": p, "time": datetime.fromtimestamp(t / 1000, UTC).isoformat()} for m, p, t in quakes
    ]
    return VerticalResult(text, ctx.lang, {"count": len(quakes), "quakes": listed[:10]}, "USGS")


EARTHQUAKE = Vertical(
    id="earthquake",
    name_zh="地震信息",
    name_en="Earthquakes",
    description_zh="最近发生的地震（美国地质调查局 USGS 数据）。",
    description_en="Recent earthquakes (USGS GeoJSON feeds).",
    examples_zh=(
        "最近有地震吗",
        "今天哪里地震了",
        "日本最近有没有地震",
        "这一周有几次大地震",
        "过去一天5级以上的地震",
        "台湾刚刚地震了吗",
        "最近一个月的强震",
        "印尼这周有地震吗",
        "全球最近的地震情况",
        "智利最近地震了吗",
        "今天有没有6级以上地震",
        "这几天土耳其有地震吗",
    ),
    examples_en=(
        "any earthquakes today",
        "recent earthquakes",
        "were there earthquakes in Japan this week",
        "big earthquakes this month",
        "earthquakes of magnitude 5 or more in the past day",
        "was there an earthquake in Taiwan in the past hour",
        "major earthquakes this week",
        "earthquakes near Indonesia this week",
        "latest earthquakes worldwide",
        "any earthquakes in Chile recently",
        "earthquakes above magnitude 6 today",
        "earthquakes in Alaska this week",
    ),
    slots=(
        SlotSpec("period", "choice", choices=("hour", "day", "week", "month")),
        SlotSpec("min_magnitude", "float"),
        SlotSpec("region", "text"),
    ),
    triggers=(
        "地震|震级|余震|震中",
        r"earthquakes?|quakes?\b|seismic|tremors?|magnitude",
        "强震",
    ),
    extract=_quake_slots,
    handler=_earthquake,
    source="web (USGS)",
)
