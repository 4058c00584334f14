"""time.convert, sun_moon, place_info: clock times between cities (zoneinfo), sunrise, sunset and the moon's phase
(astral), and where a city is and how far apart two cities are (the offline gazetteer, great-circle distance)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from simulagent.verticals.api import MissingSlotError, SlotSpec, Vertical, VerticalContext, VerticalResult
from simulagent.verticals.gazetteer import CITIES, City, distance_km, find_city
from simulagent.verticals.geocode import locate
from simulagent.verticals.slots import relative_day

__all__ = ["PLACE_INFO", "SUN_MOON", "TIME_CONVERT"]


def _cities_in(text: str) -> list[City]:
    """Cities mentioned in `text`, in order of appearance."""
    lowered = text.lower()
    found: list[tuple[int, City]] = []
    for city in CITIES:
        for name in (city.name_zh, city.name_en.lower()):
            at = text.find(name) if not name.isascii() else lowered.find(name)
            if at >= 0 and all(c is not city for _, c in found):
                found.append((at, city))
    return [c for _, c in sorted(found, key=lambda item: item[0])]


def _convert_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    out: dict[str, str] = {}
    cities = _cities_in(utterance)
    if cities:
        out["from_city"] = cities[0].name_en
    if len(cities) > 1:
        out["to_city"] = cities[1].name_en
    match = re.search(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm|点|时)?", utterance.lower())
    if match:
        hour = int(match[1]) % 24
        if match[3] == "pm" and hour < 12:
            hour += 12
        if re.search(r"(下午|晚上)", utterance) and hour < 12:
            hour += 12
        out["clock"] = f"{hour:02d}:{int(match[2] or 0):02d}"
    return out


def _time_convert(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    source = find_city(str(slots["from_city"]))
    target = find_city(str(slots.get("to_city", ""))) if slots.get("to_city") else None
    if source is None:
        raise MissingSlotError(TIME_CONVERT.slots[0])
    target_zone = target.time_zone if target else ctx.time_zone
    hour, minute = (int(x) for x in str(slots.get("clock", "09:00")).split(":"))
    local = datetime.combine(ctx.today, time(hour, minute), ZoneInfo(source.time_zone))
    there = local.astimezone(ZoneInfo(target_zone))
    day_note_zh = (
        "" if there.date() == local.date() else ("（第二天）" if there.date() > local.date() else "（前一天）")
    )
    day_note_en = (
        "" if there.date() == local.date() else (" the next day" if there.date() > local.date() else " the day before")
    )
    target_zh = target.name_zh if target else "你这里"
    target_en = target.name_en if target else "your time"
    text = ctx.say(
        f"{source.name_zh}{hour}点{minute:02d}分是{target_zh}{there.hour}点{there.minute:02d}分{day_note_zh}。",
        f"{local.strftime('%H:%M')} in {source.name_en} is {there.strftime('%H:%M')}{day_note_en} in {target_en}.",
    )
    return VerticalResult(text, ctx.lang, {"time": there.isoformat()})


TIME_CONVERT = Vertical(
    id="time.convert",
    name_zh="时差换算",
    name_en="Time zone conversion",
    description_zh="某城市的某个时间是另一城市的几点。",
    description_en="What a time in one city is in another.",
    examples_zh=(
        "北京时间下午3点是纽约几点",
        "伦敦上午9点是上海几点",
        "东京晚上8点是巴黎几点",
        "纽约早上7点是北京几点",
        "悉尼10点是伦敦几点",
        "洛杉矶下午2点是东京几点",
        "柏林18:30是北京几点",
        "上海21点是旧金山几点",
        "莫斯科12点是迪拜几点",
        "新加坡9点是伦敦几点",
        "巴黎下午5点是首尔几点",
        "多伦多8点是香港几点",
    ),
    examples_en=(
        "what is 3 pm in Beijing in New York",
        "9 am London time in Shanghai",
        "8 pm in Tokyo is what time in Paris",
        "convert 7 am New York to Beijing time",
        "10:00 in Sydney to London",
        "2 pm Los Angeles in Tokyo",
        "18:30 Berlin in Beijing",
        "21:00 Shanghai to San Francisco",
        "noon in Moscow in Dubai",
        "9 am Singapore in London time",
        "5 pm Paris in Seoul",
        "8 am Toronto to Hong Kong",
    ),
    slots=(
        SlotSpec(
            "from_city", "city", required=True, question_zh="哪个城市的时间？", question_en="The time in which city?"
        ),
        SlotSpec("to_city", "city"),
        SlotSpec("clock"),
    ),
    triggers=(
        r"时差|\d{1,2}\s*(点|:\d\d).{0,14}(是|等于|对应).{0,12}几点|(几点|什么时间).{0,20}(的时候|时)",
        r"time difference|when it'?s \d|if it'?s \d",
        r"\d\s*(am|pm|o'?clock).{0,30}(what time|in [a-z ]+ time)|convert .{0,30}\btime\b",
        r"(\d{1,2}(:\d\d)?\s*(am|pm)?|noon|midnight)\s+(in\s+)?[a-z][a-z ]{1,20}\s+(time\s+)?(in|to)\s+[a-z]",
        r"([\d一二两三四五六七八九十]{1,3}\s*点|中午|午夜|半夜).{0,16}(是|等于|对应|换算成?|的时候).{0,12}(几点|什么时间|时间)",
        "the time difference",
    ),
    extract=_convert_slots,
    handler=_time_convert,
)


def _city_day_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    out: dict[str, str] = {}
    cities = _cities_in(utterance)
    if cities:
        out["city"] = cities[0].name_en
    elif ctx.home_city:
        out["city"] = ctx.home_city
    day = relative_day(utterance, ctx.today)
    if day:
        out["day"] = day.isoformat()
    return out


_PHASES = (
    (1.84, "新月", "new moon"),
    (5.53, "峨眉月", "waxing crescent"),
    (9.22, "上弦月", "first quarter"),
    (12.91, "盈凸月", "waxing gibbous"),
    (16.61, "满月", "full moon"),
    (20.30, "亏凸月", "waning gibbous"),
    (23.99, "下弦月", "last quarter"),
    (27.68, "残月", "waning crescent"),
)


def _sun_moon(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    from astral import LocationInfo, moon
    from astral.sun import sun

    city = find_city(str(slots["city"]))
    if city is None:
        raise MissingSlotError(SUN_MOON.slots[0])
    day: date = slots.get("day") or ctx.today
    place = LocationInfo(city.name_en, city.country, city.time_zone, city.latitude, city.longitude)
    times = sun(place.observer, date=day, tzinfo=ZoneInfo(city.time_zone))
    age = moon.phase(day)
    phase_zh, phase_en = next(((zh, en) for limit, zh, en in _PHASES if age < limit), ("新月", "new moon"))
    rise, set_ = times["sunrise"].strftime("%H:%M"), times["sunset"].strftime("%H:%M")
    text = ctx.say(
        f"{city.name_zh}日出{rise}，日落{set_}，月相是{phase_zh}。",
        f"In {city.name_en}: sunrise {rise}, sunset {set_}; the moon is a {phase_en}.",
    )
    return VerticalResult(text, ctx.lang, {"sunrise": rise, "sunset": set_, "moon_age_days": age})


SUN_MOON = Vertical(
    id="sun_moon",
    name_zh="日出日落月相",
    name_en="Sun and moon",
    description_zh="日出、日落时间和月相。",
    description_en="Sunrise, sunset and the phase of the moon.",
    examples_zh=(
        "北京今天几点日出",
        "上海明天日落是几点",
        "广州今天日出日落时间",
        "今天月相是什么北京",
        "东京明天几点天亮",
        "伦敦今天几点天黑",
        "成都明天日出",
        "杭州今天什么时候日落",
        "纽约今天的日出时间",
        "悉尼明天日落几点",
        "香港今天月亮是什么样",
        "哈尔滨今天几点日出",
    ),
    examples_en=(
        "when is sunrise in Beijing today",
        "sunset time in Shanghai tomorrow",
        "sunrise and sunset in Guangzhou today",
        "what's the moon phase in Beijing tonight",
        "when does the sun rise in Tokyo tomorrow",
        "when does it get dark in London today",
        "sunrise in Chengdu tomorrow",
        "what time is sunset in Hangzhou",
        "sunrise time in New York today",
        "sunset in Sydney tomorrow",
        "moon phase tonight in Hong Kong",
        "when is sunrise in Harbin today",
    ),
    slots=(
        SlotSpec("city", "city", required=True, question_zh="哪个城市？", question_en="Which city?"),
        SlotSpec("day", "date"),
    ),
    triggers=(
        "日出|日落|太阳.{0,4}(升起|落山|出来)|月相|满月|新月|月亮|天黑|天亮|上弦月|下弦月",
        "sunrise|sunset|sun (rise|set|go down|come up)|moon phase|full moon|new moon|phase of the moon",
        "golden hour|get dark|the moon",
    ),
    extract=_city_day_slots,
    handler=_sun_moon,
)


def _place_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    cities = _cities_in(utterance)
    out: dict[str, str] = {}
    if cities:
        out["city"] = cities[0].name_en
    if len(cities) > 1:
        out["other_city"] = cities[1].name_en
    if not cities:
        # A place the gazetteer lacks: take the name from the question and let the geocoder find it.
        match = re.search(
            r"where(?:'s| is)\s+(.+?)(?:\s+located)?[?.!]*$", utterance.strip(), re.IGNORECASE
        ) or re.search(r"^(.+?)(?:在哪里|在哪儿|在哪|在什么位置)", utterance.strip())
        if match:
            out["city"] = match[1].strip()
    return out


def _place_info(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    city = locate(str(slots["city"]), ctx)
    other = locate(str(slots["other_city"]), ctx) if slots.get("other_city") else None
    if other is not None:
        km = distance_km(city, other)
        text = ctx.say(
            f"{city.name_zh}到{other.name_zh}的直线距离约{km:,.0f}公里。",
            f"{city.name_en} and {other.name_en} are about {km:,.0f} km apart as the crow flies.",
        )
        return VerticalResult(text, ctx.lang, {"distance_km": km})
    ns_zh, ns_en = ("北纬", "N") if city.latitude >= 0 else ("南纬", "S")
    ew_zh, ew_en = ("东经", "E") if city.longitude >= 0 else ("西经", "W")
    text = ctx.say(
        f"{city.name_zh}位于{ns_zh}{abs(city.latitude):.1f}度、{ew_zh}{abs(city.longitude):.1f}度，时区{city.time_zone}。",
        f"{city.name_en} ({city.country}) lies at {abs(city.latitude):.1f}°{ns_en}, "
        f"{abs(city.longitude):.1f}°{ew_en}, time zone {city.time_zone}.",
    )
    return VerticalResult(
        text, ctx.lang, {"latitude": city.latitude, "longitude": city.longitude, "country": city.country}
    )


PLACE_INFO = Vertical(
    id="place_info",
    name_zh="地点信息",
    name_en="Places",
    description_zh="地方在哪里、两地相距多远（离线地名库，必要时联网查询）。",
    description_en="Where a place is and how far apart two places are (offline gazetteer, then web geocoding).",
    examples_zh=(
        "北京到上海多远",
        "伦敦在哪里",
        "广州离深圳有多远",
        "东京和首尔距离多少",
        "悉尼在什么位置",
        "巴黎到柏林多少公里",
        "成都在哪个时区",
        "纽约到洛杉矶有多远",
        "开罗在哪儿",
        "新加坡的经纬度",
        "莫斯科离北京多远",
        "维也纳在哪里",
    ),
    examples_en=(
        "how far is Beijing from Shanghai",
        "where is London",
        "distance between Guangzhou and Shenzhen",
        "how far apart are Tokyo and Seoul",
        "where is Sydney located",
        "how many km from Paris to Berlin",
        "what time zone is Chengdu in",
        "how far is New York from Los Angeles",
        "where is Cairo",
        "coordinates of Singapore",
        "how far is Moscow from Beijing",
        "where is Vienna",
    ),
    slots=(
        SlotSpec("city", "city", required=True, question_zh="哪个地方？", question_en="Which place?"),
        SlotSpec("other_city", "city"),
    ),
    triggers=(
        "在哪里|在哪儿|在哪个(国家|省|位置)|在什么(地方|位置)|经纬度|多远|距离|相距|直线距离|在哪",
        "where is|where'?s|how far|distance (between|from|to)|coordinates|located|which country is",
        "时区|多少公里",
        "time zone|km from",
    ),
    extract=_place_slots,
    handler=_place_info,
)
