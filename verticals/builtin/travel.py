"""route_time and flight_track: travel time between two places (places from the gazetteer or geocoding, the route
from an OSRM server) and where a flight is now (the OpenSky Network's live state vectors)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from simulagent.verticals.api import ProviderError, SlotSpec, Vertical, VerticalContext, VerticalResult
from simulagent.verticals.gazetteer import CITIES, nearest_city
from simulagent.verticals.geocode import locate
from simulagent.verticals.web import HTTP

__all__ = ["FLIGHT_TRACK", "ROUTE_TIME", "airline_callsign"]

_MODES = {"driving": ("开车", "Driving"), "walking": ("步行", "Walking"), "cycling": ("骑车", "Cycling")}
# OSRM's profile names for our modes.
_PROFILES = {"driving": "driving", "walking": "foot", "cycling": "bike"}


def _route_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    lowered = utterance.lower()
    out: dict[str, str] = {}
    mode = "driving"
    if re.search(r"(walk|on foot|步行|走路)", lowered):
        mode = "walking"
    elif re.search(r"(cycl|bike|bicycle|骑车|骑自行车)", lowered):
        mode = "cycling"
    out["mode"] = mode
    match = re.search(
        r"from\s+(.+?)\s+to\s+(.+?)(?:\s+(?:by|on)\s+\w+)?[?.!]*$", utterance, re.IGNORECASE
    ) or re.search(
        r"从?(.+?)(?:到|去)(.+?)(?:开车|步行|走路|骑车|坐车|要|需要|得|多久|多长时间|几个小时|多少时间|$)", utterance
    )
    if match:
        out["origin"], out["destination"] = (
            re.sub(r"^(?:开车|步行|走路|骑车)|(?:开车|步行|走路|骑车)$", "", match[1]).strip(),
            match[2].strip(),
        )
        return out
    # "how long to drive to Tianjin": from the home city, or the first of two known cities.
    found = sorted(
        (
            (lowered.find(c.name_en.lower()) if c.name_en.lower() in lowered else utterance.find(c.name_zh), c)
            for c in CITIES
        ),
        key=lambda pair: pair[0],
    )
    named = [c for at, c in found if at >= 0]
    if len(named) >= 2:
        out["origin"], out["destination"] = named[0].name_en, named[1].name_en
    elif named:
        out["destination"] = named[0].name_en
        if ctx.home_city:
            out["origin"] = ctx.home_city
    return out


def _hours_minutes(seconds: float, lang: str) -> str:
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if lang == "zh":
        return (f"{hours}小时" if hours else "") + (f"{minutes}分钟" if minutes or not hours else "")
    parts = ([f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []) + (
        [f"{minutes} minute{'s' if minutes != 1 else ''}"] if minutes or not hours else []
    )
    return " ".join(parts)


def _route_time(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    label = ctx.say("路线服务", "the routing service")
    origin = locate(str(slots["origin"]), ctx)
    destination = locate(str(slots["destination"]), ctx)
    mode = str(slots.get("mode", "driving"))
    http: HTTP = ctx.http or HTTP()
    coordinates = f"{origin.longitude},{origin.latitude};{destination.longitude},{destination.latitude}"
    data = http.get_json("osrm", label, f"/route/v1/{_PROFILES[mode]}/{coordinates}", {"overview": "false"})
    try:
        if data.get("code", "Ok") != "Ok":
            raise ProviderError(label, ctx.say("找不到路线", f"it found no route ({data.get('code')})"))
        route = data["routes"][0]
        seconds, meters = float(route["duration"]), float(route["distance"])
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        raise ProviderError(label, "the answer was missing expected fields") from None
    mode_zh, mode_en = _MODES[mode]
    text = ctx.say(
        f"从{origin.name_zh}{mode_zh}到{destination.name_zh}大约需要{_hours_minutes(seconds, 'zh')}，"
        f"全程约{meters / 1000:,.0f}公里。",
        f"{mode_en} from {origin.name_en} to {destination.name_en} takes about {_hours_minutes(seconds, 'en')} "
        f"({meters / 1000:,.0f} km).",
    )
    return VerticalResult(
        text,
        ctx.lang,
        {
            "origin": origin.name_en,
            "destination": destination.name_en,
            "mode": mode,
            "duration_s": seconds,
            "distance_m": meters,
        },
        "OSRM",
    )


ROUTE_TIME = Vertical(
    id="route_time",
    name_zh="路程时间",
    name_en="Travel time",
    description_zh="两地之间开车、步行或骑车要多久（OSRM 路线）。",
    description_en="How long it takes to drive, walk or cycle between two places (OSRM routing).",
    examples_zh=(
        "从北京到天津开车要多久",
        "上海到杭州开车多长时间",
        "从广州去深圳要多久",
        "南京到苏州需要多长时间",
        "从成都到重庆开车几个小时",
        "武汉到长沙要多久",
        "从西安开车到北京要多长时间",
        "杭州到上海骑车要多久",
        "从巴黎到柏林开车多久",
        "伦敦到巴黎开车要多长时间",
        "从天津到北京需要多少时间",
        "深圳到香港开车多久",
    ),
    examples_en=(
        "how long does it take to drive from Beijing to Tianjin",
        "travel time from Shanghai to Hangzhou",
        "how long from Guangzhou to Shenzhen by car",
        "driving time from Nanjing to Suzhou",
        "how long to drive from Chengdu to Chongqing",
        "how far in time is it from Wuhan to Changsha",
        "how long is the drive from Paris to Berlin",
        "how long to cycle from Hangzhou to Shanghai",
        "driving time from London to Paris",
        "how long does it take from Tianjin to Beijing",
        "travel time from Shenzhen to Hong Kong",
        "how long to walk from Shenzhen to Hong Kong",
    ),
    slots=(
        SlotSpec("origin", required=True, question_zh="从哪里出发？", question_en="Where from?"),
        SlotSpec("destination", required=True, question_zh="去哪里？", question_en="Where to?"),
        SlotSpec("mode", "choice", choices=tuple(_MODES)),
    ),
    triggers=(
        "(到|去).{1,12}(要|需要|得)?(多久|多长时间|几个小时|几小时|多少时间)|(开车|驾车|自驾|步行|走路|骑车|坐车|打车).{0,14}(多久|多长时间|几个小时|几小时)|车程|路程",
        "drive from|driving time|travel time|commute",
        "how long .{0,40}(from .{1,30} to|to drive|to walk|to cycle|by car|by bike|on foot|drive)",
        "walk from|cycle from|bike from",
        "from .{1,30} to .{1,30}(by car|driving|on foot|drive|walk|cycle)|how far in time",
    ),
    extract=_route_slots,
    handler=_route_time,
    source="web (geocoding + OSRM)",
)


# IATA airline designators (as flights are printed on tickets) -> ICAO (as flights call themselves on the radio,
# which is what OpenSky reports).
_AIRLINES = {
    "CA": "CCA",
    "MU": "CES",
    "CZ": "CSN",
    "HU": "CHH",
    "3U": "CSC",
    "ZH": "CSZ",
    "MF": "CXA",
    "CX": "CPA",
    "BR": "EVA",
    "CI": "CAL",
    "NH": "ANA",
    "JL": "JAL",
    "KE": "KAL",
    "OZ": "AAR",
    "SQ": "SIA",
    "UA": "UAL",
    "AA": "AAL",
    "DL": "DAL",
    "BA": "BAW",
    "LH": "DLH",
    "AF": "AFR",
    "KL": "KLM",
    "EK": "UAE",
    "QR": "QTR",
    "TK": "THY",
    "QF": "QFA",
    "AC": "ACA",
}
_AIRLINES_ZH = {
    "国航": "CA",
    "东航": "MU",
    "南航": "CZ",
    "海航": "HU",
    "川航": "3U",
    "国泰": "CX",
    "新航": "SQ",
    "美联航": "UA",
    "汉莎": "LH",
}


def airline_callsign(flight: str) -> str:
    """ "CA981" -> "CCA981" (IATA to ICAO); an ICAO callsign is returned unchanged, upper-cased."""
    flight = flight.replace(" ", "").upper()
    match = re.fullmatch(r"([A-Z0-9]{2})(\d{1,4}[A-Z]?)", flight)
    if match and match[1] in _AIRLINES:
        return _AIRLINES[match[1]] + match[2]
    return flight


def _flight_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    for name, code in _AIRLINES_ZH.items():
        number = re.search(rf"{name}\s*(\d{{1,4}})", utterance)
        if number:
            return {"flight": code + number[1]}
    # ASCII-only edges: a flight number is often glued to Chinese text ("CA981现在"), where \b would not split.
    match = re.search(
        r"(?<![A-Z0-9])([A-Z]{3}\d{1,4}[A-Z]?|[A-Z0-9]{2}\s?\d{1,4}[A-Z]?)(?![A-Z0-9])", utterance.upper()
    )
    if match and not match[1].isdigit():
        return {"flight": match[1].replace(" ", "")}
    return {}


def _flight_track(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    label = ctx.say("航班追踪服务", "the flight tracking service")
    flight = str(slots["flight"]).upper()
    callsign = airline_callsign(flight)
    http: HTTP = ctx.http or HTTP()
    data = http.get_json("opensky", label, "/api/states/all")
    try:
        states = data["states"] or []  # null when nothing is in the air
        # State vector fields: 1 callsign, 5 longitude, 6 latitude, 7 barometric altitude (m), 8 on ground,
        # 9 velocity (m/s), 10 true track (degrees).
        match = next((s for s in states if str(s[1] or "").strip().upper() == callsign), None)
    except (KeyError, TypeError, AttributeError, IndexError):
        raise ProviderError(label, "the answer was missing expected fields") from None
    if match is None:
        text = ctx.say(
            f"现在看不到航班{flight}（{callsign}）在空中，可能尚未起飞或已经降落。",
            f"I cannot see flight {flight} ({callsign}) in the air right now; it may not have taken off or has landed.",
        )
        return VerticalResult(text, ctx.lang, {"flight": flight, "callsign": callsign, "airborne": False}, "OpenSky")
    try:
        longitude, latitude = float(match[5]), float(match[6])
        altitude_m = float(match[7] or 0.0)
        on_ground = bool(match[8])
        speed_kmh = float(match[9] or 0.0) * 3.6
        heading = float(match[10] or 0.0)
    except (TypeError, ValueError, IndexError):
        raise ProviderError(label, "the answer was missing expected fields") from None
    near, km = nearest_city(latitude, longitude)
    where_zh = f"距{near.name_zh}约{km:,.0f}公里"
    where_en = f"about {km:,.0f} km from {near.name_en}"
    if on_ground:
        text = ctx.say(f"航班{flight}正在地面，{where_zh}。", f"Flight {flight} is on the ground, {where_en}.")
    else:
        text = ctx.say(
            f"航班{flight}正在{where_zh}的上空，高度{altitude_m:,.0f}米，速度每小时{speed_kmh:,.0f}公里，航向{heading:.0f}度。",
            f"Flight {flight} is in the air {where_en}, at {altitude_m:,.0f} m, flying {speed_kmh:,.0f} km/h on a "
            f"heading of {heading:.0f}°.",
        )
    return VerticalResult(
        text,
        ctx.lang,
        {
            "flight": flight,
            "callsign": callsign,
            "airborne": not on_ground,
            "latitude": latitude,
            "longitude": longitude,
            "altitude_m": altitude_m,
            "speed_kmh": speed_kmh,
            "nearest_city": near.name_en,
        },
        "OpenSky Network",
    )


FLIGHT_TRACK = Vertical(
    id="flight_track",
    name_zh="航班追踪",
    name_en="Flight tracking",
    description_zh="航班现在飞到哪里了（OpenSky Network 实时数据）。",
    description_en="Where a flight is right now (OpenSky Network live data).",
    examples_zh=(
        "CA981现在飞到哪了",
        "国航981在哪里",
        "MU587航班到哪了",
        "查一下航班CZ3101的位置",
        "东航587现在在哪",
        "UA857飞到哪里了",
        "航班BA39现在在哪里",
        "帮我看看CX880的位置",
        "南航3101飞到哪了",
        "LH720现在什么位置",
        "查查SQ830在哪",
        "航班AF111到哪儿了",
    ),
    examples_en=(
        "where is flight CA981 now",
        "track flight UA857",
        "where is MU587",
        "what's the position of flight CZ3101",
        "where is BA39 right now",
        "track CX880",
        "is flight LH720 in the air",
        "where is SQ830",
        "flight status of AF111",
        "where is flight CCA981",
        "how high is flight DL183",
        "where is JL61 now",
    ),
    slots=(SlotSpec("flight", required=True, question_zh="哪个航班？", question_en="Which flight?"),),
    triggers=(
        "航班|飞机|班机",
        # A flight number is written in capitals ("CA981", "UA 857"); case-sensitive so "at 168" is not one.
        r"(?-i:(?<![A-Za-z0-9])(?!PM\d)([A-Z]{2,3}|[A-Z]\d|\d[A-Z])\s?\d{2,4}(?![A-Za-z0-9]))",
        r"\bflights?\b|\bplane\b|airborne|landed",
        r"[国东南海川]航\s*\d{2,4}|航空\s*\d{2,4}",
    ),
    extract=_flight_slots,
    handler=_flight_track,
    source="web (OpenSky Network)",
)
