"""weather: current weather and daily forecasts from Open-Meteo (keyless), cities from the gazetteer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from simulagent.verticals.api import ProviderError, SlotSpec, Vertical, VerticalContext, VerticalResult
from simulagent.verticals.gazetteer import find_city, find_city_in
from simulagent.verticals.slots import relative_day
from simulagent.verticals.web import HTTP

__all__ = ["WEATHER", "weather_code_text"]

# WMO weather interpretation codes (Open-Meteo's `weather_code`).
_CODES = {
    0: ("晴", "clear"),
    1: ("大部晴朗", "mainly clear"),
    2: ("多云", "partly cloudy"),
    3: ("阴", "overcast"),
    45: ("雾", "fog"),
    48: ("雾凇", "rime fog"),
    51: ("小毛毛雨", "light drizzle"),
    53: ("毛毛雨", "drizzle"),
    55: ("大毛毛雨", "heavy drizzle"),
    61: ("小雨", "light rain"),
    63: ("中雨", "rain"),
    65: ("大雨", "heavy rain"),
    71: ("小雪", "light snow"),
    73: ("中雪", "snow"),
    75: ("大雪", "heavy snow"),
    80: ("阵雨", "rain showers"),
    81: ("中阵雨", "rain showers"),
    82: ("强阵雨", "violent rain showers"),
    95: ("雷雨", "thunderstorm"),
    96: ("雷雨伴冰雹", "thunderstorm with hail"),
    99: ("强雷雨伴冰雹", "thunderstorm with heavy hail"),
}


def weather_code_text(code: int, lang: str) -> str:
    zh, en = _CODES.get(code, ("天气未知", "unknown weather"))
    return zh if lang == "zh" else en


def _weather_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    out: dict[str, str] = {}
    city = find_city_in(utterance)
    if city:
        out["city"] = city.name_en
    day = relative_day(utterance, ctx.today)
    if day:
        out["day"] = day.isoformat()
    return out


def _weather(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    city = find_city(str(slots["city"]))
    if city is None:
        raise ProviderError(
            "天气服务" if ctx.lang == "zh" else "the weather service", f"I do not know where {slots['city']} is"
        )
    http: HTTP = ctx.http or HTTP()
    label = "天气服务" if ctx.lang == "zh" else "the weather service"
    day: date | None = slots.get("day")
    data = http.get_json(
        "open-meteo",
        label,
        "/v1/forecast",
        {
            "latitude": city.latitude,
            "longitude": city.longitude,
            "timezone": city.time_zone,
            "forecast_days": 7,
            "current": "temperature_2m,weather_code,wind_speed_10m",
            "daily": "weather_code,temperature_2m_max,temperature_2m_min,precipitation_probability_max",
        },
    )
    name = city.name_zh if ctx.lang == "zh" else city.name_en
    try:
        if day is None or (day == ctx.today and "current" in data):
            current = data["current"]
            temp = float(current["temperature_2m"])
            text = weather_code_text(int(current["weather_code"]), ctx.lang)
            spoken = ctx.say(f"{name}现在{text}，气温{temp:.0f}度。", f"It is {text} in {name}, {temp:.0f} degrees.")
            return VerticalResult(
                spoken,
                ctx.lang,
                {"city": city.name_en, "temperature_c": temp, "code": int(current["weather_code"])},
                "Open-Meteo",
            )
        daily = data["daily"]
        index = list(daily["time"]).index(day.isoformat())
        high = float(daily["temperature_2m_max"][index])
        low = float(daily["temperature_2m_min"][index])
        rain = daily.get("precipitation_probability_max", [None] * (index + 1))[index]
        code = int(daily["weather_code"][index])
    except ValueError:
        raise ProviderError(label, "the forecast does not reach that day") from None
    except (KeyError, TypeError, IndexError):
        raise ProviderError(label, "the answer was missing expected fields") from None
    when_zh = {0: "今天", 1: "明天", 2: "后天"}.get((day - ctx.today).days, f"{day.month}月{day.day}日")
    when_en = {0: "today", 1: "tomorrow"}.get((day - ctx.today).days, day.strftime("on %A"))
    text = weather_code_text(code, ctx.lang)
    rain_zh = f"，降水概率{rain}%" if rain is not None else ""
    rain_en = f", {rain}% chance of rain" if rain is not None else ""
    spoken = ctx.say(
        f"{name}{when_zh}{text}，{low:.0f}到{high:.0f}度{rain_zh}。",
        f"{name} {when_en}: {text}, {low:.0f} to {high:.0f} degrees{rain_en}.",
    )
    return VerticalResult(
        spoken,
        ctx.lang,
        {"city": city.name_en, "date": day.isoformat(), "high_c": high, "low_c": low, "code": code},
        "Open-Meteo",
    )


WEATHER = Vertical(
    id="weather",
    name_zh="天气",
    name_en="Weather",
    description_zh="当前天气和未来七天预报（Open-Meteo）。",
    description_en="Current weather and a seven-day forecast (Open-Meteo).",
    examples_zh=(
        "上海明天天气怎么样",
        "北京今天天气",
        "广州后天会下雨吗",
        "明天杭州多少度",
        "东京天气怎么样",
        "成都现在天气如何",
        "深圳明天热不热",
        "伦敦今天下雨吗",
        "纽约明天天气预报",
        "西安今天冷吗",
        "南京后天天气",
        "香港明天天气",
    ),
    examples_en=(
        "what's the weather in Shanghai tomorrow",
        "weather in Beijing today",
        "will it rain in Guangzhou the day after tomorrow",
        "how hot is it in Hangzhou tomorrow",
        "what's the weather like in Tokyo",
        "current weather in Chengdu",
        "is it going to be hot in Shenzhen tomorrow",
        "is it raining in London today",
        "weather forecast for New York tomorrow",
        "is it cold in Xi'an today",
        "weather in Nanjing the day after tomorrow",
        "Hong Kong weather tomorrow",
    ),
    slots=(
        SlotSpec("city", "city", required=True, question_zh="哪个城市？", question_en="Which city?"),
        SlotSpec("day", "date"),
    ),
    triggers=(
        "天气|气温|下雨|下雪|温度|多少度|冷不冷|热不热|刮风|带伞|晴天|阴天|降温|升温|雷阵雨|台风",
        r"weather|forecast|\brain|\bsnow|temperature|how (hot|cold|warm)|sunny|umbrella|degrees outside|humid|windy",
        "冷吗|热吗|冷不|热不",
        "(hot|cold|warm) in|going to be (hot|cold|warm)",
    ),
    extract=_weather_slots,
    handler=_weather,
    source="web (Open-Meteo)",
)
