"""lunar.calendar, solar_term, holiday: the Chinese lunar calendar (lunar-python), the 24 solar terms, and public
holidays with China's adjusted working days (调休, chinese-calendar) and other countries' holidays (holidays)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from simulagent.verticals.api import SlotSpec, Vertical, VerticalContext, VerticalError, VerticalResult
from simulagent.verticals.slots import relative_day

__all__ = ["HOLIDAY", "LUNAR_CALENDAR", "SOLAR_TERM"]


def _day_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    match = re.search(r"(\d{4})[-年/](\d{1,2})[-月/](\d{1,2})", utterance)
    if match:
        return {"day": date(int(match[1]), int(match[2]), int(match[3])).isoformat()}
    day = relative_day(utterance, ctx.today)
    return {"day": day.isoformat()} if day else {}


def _lunar(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    from lunar_python import Solar

    day: date = slots.get("day") or ctx.today
    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    month = lunar.getMonthInChinese()
    year_zh = f"{lunar.getYearInGanZhi()}年{lunar.getYearShengXiao()}年"
    text_zh = f"{day.month}月{day.day}日是农历{month}月{lunar.getDayInChinese()}，{year_zh}"
    good = "、".join(lunar.getDayYi()[:4])
    bad = "、".join(lunar.getDayJi()[:4])
    text_zh += f"，宜{good}，忌{bad}。" if good and bad else "。"
    text_en = (
        f"{day.isoformat()} is day {lunar.getDay()} of lunar month {abs(lunar.getMonth())}"
        f"{' (leap)' if lunar.getMonth() < 0 else ''} in the {lunar.getYearInGanZhi()} year."
    )
    data = {
        "lunar_month": lunar.getMonth(),
        "lunar_day": lunar.getDay(),
        "ganzhi_year": lunar.getYearInGanZhi(),
        "yi": list(lunar.getDayYi()),
    }
    return VerticalResult(ctx.say(text_zh, text_en), ctx.lang, data)


LUNAR_CALENDAR = Vertical(
    id="lunar.calendar",
    name_zh="农历黄历",
    name_en="Lunar calendar",
    description_zh="农历日期、干支、生肖年、当天宜忌。",
    description_en="The Chinese lunar date, the sexagenary year and the day's almanac.",
    examples_zh=(
        "今天农历几号",
        "今天是农历哪天",
        "明天农历初几",
        "今天黄历宜忌",
        "今天宜什么忌什么",
        "2025年10月6日是农历几号",
        "后天农历是多少",
        "今天的干支是什么",
        "查一下今天的黄历",
        "今天适合搬家吗看黄历",
        "农历今天是几月几日",
        "昨天农历几号",
    ),
    examples_en=(
        "what's the lunar date today",
        "lunar calendar for today",
        "what is tomorrow in the lunar calendar",
        "chinese calendar date today",
        "what lunar day is 2025-10-06",
        "lunar date the day after tomorrow",
        "today's chinese almanac",
        "what year is it in the sexagenary cycle",
        "convert today to the lunar calendar",
        "which lunar month are we in",
        "what was yesterday's lunar date",
        "lunar calendar date please",
    ),
    slots=(SlotSpec("day", "date"),),
    triggers=(
        "农历|阴历|干支|黄历|宜忌|宜.{0,6}忌|今天宜|日子好|吉日|适合(搬家|结婚|出行|开业|动土)",
        "lunar|chinese calendar|auspicious",
        "almanac|sexagenary",
        "宜不宜|适不适合(结婚|搬家|出行|开业|动土)",
    ),
    extract=_day_slots,
    handler=_lunar,
)

_TERMS_EN = {
    "立春": "Start of Spring",
    "雨水": "Rain Water",
    "惊蛰": "Awakening of Insects",
    "春分": "Spring Equinox",
    "清明": "Pure Brightness",
    "谷雨": "Grain Rain",
    "立夏": "Start of Summer",
    "小满": "Grain Buds",
    "芒种": "Grain in Ear",
    "夏至": "Summer Solstice",
    "小暑": "Minor Heat",
    "大暑": "Major Heat",
    "立秋": "Start of Autumn",
    "处暑": "End of Heat",
    "白露": "White Dew",
    "秋分": "Autumn Equinox",
    "寒露": "Cold Dew",
    "霜降": "Frost's Descent",
    "立冬": "Start of Winter",
    "小雪": "Minor Snow",
    "大雪": "Major Snow",
    "冬至": "Winter Solstice",
    "小寒": "Minor Cold",
    "大寒": "Major Cold",
}


def _term_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    lowered = utterance.lower()
    for zh, en in _TERMS_EN.items():
        if zh in utterance or en.lower() in lowered:
            return {"term": zh}
    return {}


def _solar_term(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    from lunar_python import Solar

    wanted = slots.get("term")
    day = ctx.today
    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    if wanted:
        for year in (day.year, day.year + 1):
            table = Solar.fromYmd(year, 6, 1).getLunar().getJieQiTable()
            if wanted in table:
                solar = table[wanted]
                when = date(solar.getYear(), solar.getMonth(), solar.getDay())
                if when >= day:
                    break
        else:
            raise VerticalError("没有找到这个节气。", "I could not find that solar term.")
    else:
        nxt = lunar.getNextJieQi()
        wanted = nxt.getName()
        solar = nxt.getSolar()
        when = date(solar.getYear(), solar.getMonth(), solar.getDay())
    days = (when - day).days
    text = ctx.say(
        f"{wanted}是{when.month}月{when.day}日，还有{days}天。",
        f"{_TERMS_EN.get(wanted, wanted)} ({wanted}) is on {when.isoformat()}, in {days} days.",
    )
    return VerticalResult(text, ctx.lang, {"term": wanted, "date": when.isoformat(), "days": days})


SOLAR_TERM = Vertical(
    id="solar_term",
    name_zh="二十四节气",
    name_en="Solar terms",
    description_zh="下一个节气或某个节气的日期。",
    description_en="The next solar term, or the date of a named one.",
    examples_zh=(
        "下一个节气是什么",
        "今年冬至是哪天",
        "立秋是几号",
        "清明节气是哪一天",
        "夏至还有几天",
        "下个节气什么时候",
        "大寒是哪天",
        "春分是几月几号",
        "最近的节气",
        "今年的白露是哪天",
        "霜降在几号",
        "小满是什么时候",
    ),
    examples_en=(
        "what is the next solar term",
        "when is the winter solstice solar term",
        "when is start of autumn",
        "date of pure brightness this year",
        "how many days until summer solstice",
        "next chinese solar term",
        "when is major cold",
        "what date is the spring equinox term",
        "upcoming solar term",
        "when is white dew",
        "when is frost's descent",
        "when is grain buds",
    ),
    slots=(SlotSpec("term"),),
    triggers=(
        "节气|(立春|雨水|惊蛰|春分|谷雨|立夏|小满|芒种|夏至|小暑|大暑|立秋|处暑|白露|秋分|寒露|霜降|立冬|冬至|小寒|大寒|小雪节气|大雪节气)",
        "solar term|solstice|equinox",
        "start of (spring|summer|autumn|winter)|pure brightness|clear and bright|(major|minor) (cold|heat|snow)",
        "white dew|cold dew|frost'?s descent|grain (buds|rain|in ear)|awakening of insects|limit of heat|rain water",
    ),
    extract=_term_slots,
    handler=_solar_term,
)


def _holiday_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    out = _day_slots(utterance, ctx)
    lowered = utterance.lower()
    for name, code in (
        ("美国", "US"),
        ("america", "US"),
        ("us ", "US"),
        ("英国", "GB"),
        ("uk", "GB"),
        ("日本", "JP"),
        ("japan", "JP"),
        ("德国", "DE"),
        ("germany", "DE"),
        ("法国", "FR"),
        ("france", "FR"),
    ):
        if name in lowered:
            out["country"] = code
            break
    if re.search(r"(下一个|next|upcoming|最近)", lowered):
        out["query"] = "next"
    return out


def _holiday(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    import holidays

    country = str(slots.get("country", "CN"))
    day: date = slots.get("day") or ctx.today
    if country == "CN":
        import chinese_calendar

        try:
            if slots.get("query") == "next":
                for offset in range(1, 370):
                    candidate = day + timedelta(days=offset)
                    on, name = chinese_calendar.get_holiday_detail(candidate)
                    if on and name:
                        zh = {
                            "New Year's Day": "元旦",
                            "Spring Festival": "春节",
                            "Tomb-sweeping Day": "清明节",
                            "Labour Day": "劳动节",
                            "Dragon Boat Festival": "端午节",
                            "National Day": "国庆节",
                            "Mid-autumn Festival": "中秋节",
                        }.get(name, name)
                        text = ctx.say(
                            f"下一个假期是{zh}，{candidate.month}月{candidate.day}日开始放假。",
                            f"The next public holiday is {name}, starting {candidate.isoformat()}.",
                        )
                        return VerticalResult(
                            text, ctx.lang, {"holiday": name, "date": candidate.isoformat()}, "chinese-calendar"
                        )
            workday = chinese_calendar.is_workday(day)
            on, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            raise VerticalError(
                "这一年的放假安排还没有公布。", "That year's holiday schedule is not published yet."
            ) from None
        adjusted = workday and day.weekday() >= 5
        if adjusted:
            status_zh, status_en = "要上班（调休）", "an adjusted working day"
        elif workday:
            status_zh, status_en = "是工作日", "a working day"
        else:
            status_zh = "放假" + (f"，是{name}" if name else "")
            status_en = "a day off" + (f" ({name})" if name else "")
        text = ctx.say(f"{day.month}月{day.day}日{status_zh}。", f"{day.isoformat()} is {status_en}.")
        return VerticalResult(
            text, ctx.lang, {"workday": workday, "holiday": name, "adjusted": adjusted}, "chinese-calendar"
        )
    calendar = holidays.country_holidays(country, years=[day.year, day.year + 1])
    upcoming = sorted((d, n) for d, n in calendar.items() if d >= day)
    if slots.get("query") == "next" or day not in calendar:
        when, name = upcoming[0]
        text = ctx.say(
            f"下一个假日是{name}，{when.isoformat()}。",
            f"The next holiday in {country} is {name}, on {when.isoformat()}.",
        )
        return VerticalResult(text, ctx.lang, {"holiday": name, "date": when.isoformat()}, "holidays")
    name = calendar[day]
    return VerticalResult(
        ctx.say(f"{day.isoformat()}是{name}。", f"{day.isoformat()} is {name} in {country}."),
        ctx.lang,
        {"holiday": name},
        "holidays",
    )


HOLIDAY = Vertical(
    id="holiday",
    name_zh="节假日",
    name_en="Holidays",
    description_zh="法定节假日和调休上班日，以及其他国家的节日。",
    description_en="Public holidays and China's adjusted working days; other countries' holidays.",
    examples_zh=(
        "下一个假期是什么",
        "2025年10月1日放假吗",
        "2025年9月28日要上班吗",
        "明天放假吗",
        "今天是工作日吗",
        "最近的节假日是哪天",
        "2025-05-01放不放假",
        "美国下一个节日是什么",
        "日本下一个假日",
        "这周六要调休上班吗",
        "后天是节假日吗",
        "英国下一个公共假日",
    ),
    examples_en=(
        "what is the next public holiday",
        "is 2025-10-01 a holiday in china",
        "do I work on 2025-09-28",
        "is tomorrow a day off",
        "is today a working day",
        "when is the next holiday",
        "is 2025-05-01 a holiday",
        "next holiday in america",
        "next public holiday in japan",
        "next bank holiday in the uk",
        "is the day after tomorrow a holiday",
        "upcoming holiday in germany",
    ),
    slots=(SlotSpec("day", "date"), SlotSpec("country"), SlotSpec("query", "choice", choices=("next",))),
    triggers=(
        "放假|假期|调休|补班|上班吗|要上班|节假日|休息吗|放几天|法定假",
        r"public holiday|bank holiday|days? off|holidays?\b|national holiday|long weekend",
        "工作日|节日|假日",
        "do i (work|have to work)|working day|workday",
    ),
    extract=_holiday_slots,
    handler=_holiday,
)
