"""random, health_calc, zodiac: dice and coins, BMI/BMR/water, Chinese zodiac animal and star sign."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from simulagent.verticals.api import SlotSpec, Vertical, VerticalContext, VerticalResult
from simulagent.verticals.slots import find_numbers

__all__ = ["HEALTH_CALC", "RANDOM", "ZODIAC"]


def _random_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    lowered = utterance.lower()
    if "coin" in lowered or "硬币" in utterance or "正反" in utterance:
        return {"kind": "coin"}
    if "dice" in lowered or "die" in lowered or "骰子" in utterance:
        return {"kind": "dice"}
    options = re.split(
        r"\s*(?:,|，|、| or |还是|或者)\s*",
        re.sub(r"^.*?(?:between|pick one of|choose|选一个|帮我选|选)[:：]?\s*", "", utterance),
    )
    options = [o.strip(" ?？。.") for o in options if o.strip(" ?？。.")]
    if len(options) >= 2 and ("pick" in lowered or "choose" in lowered or "选" in utterance):
        return {"kind": "pick", "options": "|".join(options)}
    numbers = find_numbers(utterance)
    if len(numbers) >= 2:
        return {"kind": "number", "low": str(int(numbers[0])), "high": str(int(numbers[1]))}
    return {"kind": "number"}


def _pick_random(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    rng = random.Random(ctx.extra.get("seed"))
    kind = slots.get("kind", "number")
    if kind == "coin":
        heads = rng.random() < 0.5
        return VerticalResult(
            ctx.say("正面。" if heads else "反面。", "Heads." if heads else "Tails."), ctx.lang, {"heads": heads}
        )
    if kind == "dice":
        value = rng.randint(1, 6)
        return VerticalResult(ctx.say(f"掷出了{value}点。", f"You rolled a {value}."), ctx.lang, {"value": value})
    if kind == "pick":
        choice = rng.choice(str(slots["options"]).split("|"))
        return VerticalResult(ctx.say(f"选{choice}吧。", f"I pick {choice}."), ctx.lang, {"choice": choice})
    low, high = int(slots.get("low", 1)), int(slots.get("high", 100))
    low, high = min(low, high), max(low, high)
    value = rng.randint(low, high)
    return VerticalResult(
        ctx.say(f"随机数是{value}。", f"Your random number is {value}."),
        ctx.lang,
        {"value": value, "low": low, "high": high},
    )


RANDOM = Vertical(
    id="random",
    name_zh="随机",
    name_en="Random",
    description_zh="掷骰子、抛硬币、随机数、帮你选一个。",
    description_en="Dice, coin flips, random numbers, picking one option.",
    examples_zh=(
        "掷个骰子",
        "抛硬币",
        "帮我抛一下硬币",
        "给我一个1到100的随机数",
        "随机一个数",
        "火锅还是烧烤，帮我选一个",
        "掷骰子",
        "从1到6随机选一个数",
        "正面还是反面",
        "帮我选：看电影、打球、睡觉",
        "随机数1到10",
        "给我一个随机数字",
    ),
    examples_en=(
        "roll a dice",
        "flip a coin",
        "toss a coin for me",
        "give me a random number between 1 and 100",
        "pick a random number",
        "choose pizza or sushi",
        "roll a die",
        "random number from 1 to 6",
        "heads or tails",
        "pick one of: movie, tennis, sleep",
        "random number between 1 and 10",
        "give me a random number",
    ),
    slots=(
        SlotSpec("kind", "choice", choices=("coin", "dice", "pick", "number")),
        SlotSpec("options"),
        SlotSpec("low", "int"),
        SlotSpec("high", "int"),
    ),
    triggers=(
        "骰子|硬币|随机|抽签|帮我选|选一个|掷|抓阄|正反面",
        r"\bdice\b|\bdie\b|roll (a|the|two)|flip (a|the) coin|coin (toss|flip)|random",
        "pick (one|a|between)|heads or tails|choose (one|between|for me)",
        r"随便.{0,6}(数|选|挑)|给个.{0,8}数|随机数|\d+\s*到\s*\d+.{0,4}(的数|之间)",
        "正面还是反面",
        "toss a coin|(choose|pick) .{1,20} or ",
    ),
    extract=_random_slots,
    handler=_pick_random,
)


def _health_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    lowered = utterance.lower()
    out: dict[str, str] = {}
    height = re.search(r"(\d+(?:\.\d+)?)\s*(?:cm|厘米|公分)", lowered) or re.search(
        r"身高\s*(\d+(?:\.\d+)?)", utterance
    )
    weight = re.search(r"(\d+(?:\.\d+)?)\s*(?:kg|公斤|千克)", lowered) or re.search(
        r"体重\s*(\d+(?:\.\d+)?)", utterance
    )
    jin = re.search(r"(\d+(?:\.\d+)?)\s*斤", utterance)
    if height:
        out["height_cm"] = height[1]
    if weight:
        out["weight_kg"] = weight[1]
    elif jin:
        out["weight_kg"] = str(float(jin[1]) / 2)
    age = re.search(r"(\d+)\s*(?:岁|years? old)", lowered)
    if age:
        out["age"] = age[1]
    if "bmr" in lowered or "基础代谢" in utterance:
        out["measure"] = "bmr"
    elif "water" in lowered or "喝多少水" in utterance or "饮水" in utterance:
        out["measure"] = "water"
    else:
        out["measure"] = "bmi"
    if "female" in lowered or "woman" in lowered or "女" in utterance:
        out["sex"] = "female"
    elif "male" in lowered or " man" in lowered or "男" in utterance:
        out["sex"] = "male"
    return out


def _health(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    from simulagent.verticals.api import MissingSlotError

    measure = slots.get("measure", "bmi")
    weight = slots["weight_kg"]
    if measure == "water":
        liters = weight * 0.033
        return VerticalResult(
            ctx.say(f"建议每天喝大约{liters:.1f}升水。", f"About {liters:.1f} liters of water a day."),
            ctx.lang,
            {"liters": liters},
        )
    if "height_cm" not in slots:
        raise MissingSlotError(HEALTH_CALC.slots[1])
    height_m = slots["height_cm"] / 100
    if measure == "bmr":
        age = slots.get("age", 30)
        base = 10 * weight + 6.25 * slots["height_cm"] - 5 * age  # Mifflin-St Jeor
        bmr = base - 161 if slots.get("sex") == "female" else base + 5
        return VerticalResult(
            ctx.say(f"基础代谢大约{bmr:.0f}千卡每天。", f"Your basal metabolic rate is about {bmr:.0f} kcal a day."),
            ctx.lang,
            {"bmr_kcal": bmr},
        )
    bmi = weight / height_m**2
    band_zh, band_en = (
        ("偏瘦", "underweight")
        if bmi < 18.5
        else ("正常", "normal")
        if bmi < 24
        else ("超重", "overweight")
        if bmi < 28
        else ("肥胖", "obese")
    )
    return VerticalResult(
        ctx.say(f"BMI是{bmi:.1f}，属于{band_zh}。", f"Your BMI is {bmi:.1f}, which is {band_en}."),
        ctx.lang,
        {"bmi": bmi},
    )


HEALTH_CALC = Vertical(
    id="health_calc",
    name_zh="健康计算",
    name_en="Health calculator",
    description_zh="BMI、基础代谢、每日饮水量（中国BMI标准：24超重、28肥胖）。",
    description_en="BMI, basal metabolic rate (Mifflin-St Jeor) and daily water intake.",
    examples_zh=(
        "身高170厘米体重65公斤BMI是多少",
        "我175cm 80kg，胖吗",
        "算一下BMI，身高160，体重50公斤",
        "体重60公斤每天喝多少水",
        "我30岁男，身高180厘米，体重75公斤，基础代谢是多少",
        "身高165体重120斤",
        "BMI计算 身高158厘米 体重48公斤",
        "70公斤一天要喝多少水",
        "女，25岁，身高162厘米，体重52公斤，基础代谢",
        "我身高185公分体重90公斤",
        "帮我算BMI 172厘米 68公斤",
        "体重55公斤饮水量",
    ),
    examples_en=(
        "what is my bmi, 170 cm and 65 kg",
        "bmi for 175 cm 80 kg",
        "I am 160 cm and 50 kg, what's my bmi",
        "how much water should I drink at 60 kg",
        "bmr for a 30 years old man, 180 cm, 75 kg",
        "calculate bmi 165 cm 60 kg",
        "bmi 158 cm 48 kg",
        "water intake for 70 kg",
        "bmr female 25 years old 162 cm 52 kg",
        "is 185 cm and 90 kg overweight",
        "bmi of 172 cm 68 kg",
        "daily water for 55 kg",
    ),
    slots=(
        SlotSpec(
            "weight_kg",
            "float",
            required=True,
            question_zh="你的体重是多少公斤？",
            question_en="What is your weight in kilograms?",
        ),
        SlotSpec(
            "height_cm", "float", question_zh="你的身高是多少厘米？", question_en="How tall are you, in centimeters?"
        ),
        SlotSpec("age", "int"),
        SlotSpec("sex", "choice", choices=("male", "female")),
        SlotSpec("measure", "choice", choices=("bmi", "bmr", "water")),
    ),
    triggers=(
        "bmi|体重指数|基础代谢|bmr|卡路里|喝多少水|饮水量|体脂|标准体重|热量",
        r"\bbmi\b|\bbmr\b|calorie|how much water|body mass|metabolic|ideal weight",
        "超重|偏胖|偏瘦|太胖|太瘦|体重.{0,6}(正常|标准|超标)",
        "overweight|underweight|healthy weight",
        "身高|胖吗|瘦吗",
        r"water intake|daily water|\d+\s*cm\b.{0,20}\d+\s*kg",
    ),
    extract=_health_slots,
    handler=_health,
)

_ANIMALS = (
    ("鼠", "Rat"),
    ("牛", "Ox"),
    ("虎", "Tiger"),
    ("兔", "Rabbit"),
    ("龙", "Dragon"),
    ("蛇", "Snake"),
    ("马", "Horse"),
    ("羊", "Goat"),
    ("猴", "Monkey"),
    ("鸡", "Rooster"),
    ("狗", "Dog"),
    ("猪", "Pig"),
)
_SIGNS = (
    ((1, 20), "水瓶座", "Aquarius"),
    ((2, 19), "双鱼座", "Pisces"),
    ((3, 21), "白羊座", "Aries"),
    ((4, 20), "金牛座", "Taurus"),
    ((5, 21), "双子座", "Gemini"),
    ((6, 22), "巨蟹座", "Cancer"),
    ((7, 23), "狮子座", "Leo"),
    ((8, 23), "处女座", "Virgo"),
    ((9, 23), "天秤座", "Libra"),
    ((10, 24), "天蝎座", "Scorpio"),
    ((11, 23), "射手座", "Sagittarius"),
    ((12, 22), "摩羯座", "Capricorn"),
)


def _zodiac_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    full = re.search(r"(\d{4})[-年/](\d{1,2})[-月/](\d{1,2})", utterance)
    if full:
        return {"birthday": date(int(full[1]), int(full[2]), int(full[3])).isoformat()}
    year = re.search(r"(1[89]\d\d|20\d\d)", utterance)
    return {"year": year[1]} if year else {}


def _zodiac(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    from simulagent.verticals.api import MissingSlotError

    birthday: date | None = slots.get("birthday")
    year = birthday.year if birthday else slots.get("year")
    if year is None:
        raise MissingSlotError(ZODIAC.slots[1])
    # The zodiac year starts at the lunar new year; by Gregorian year this is right from mid-February on.
    zh, en = _ANIMALS[(int(year) - 4) % 12]
    if birthday is None:
        return VerticalResult(
            ctx.say(f"{year}年出生属{zh}。", f"Born in {year}: year of the {en}."), ctx.lang, {"animal": en}
        )
    sign_zh, sign_en = _SIGNS[-1][1], _SIGNS[-1][2]
    for (month, day), s_zh, s_en in _SIGNS:
        if (birthday.month, birthday.day) >= (month, day):
            sign_zh, sign_en = s_zh, s_en
    if (birthday.month, birthday.day) < (1, 20):
        sign_zh, sign_en = "摩羯座", "Capricorn"
    text = ctx.say(f"属{zh}，{sign_zh}。", f"Year of the {en}; star sign {sign_en}.")
    return VerticalResult(text, ctx.lang, {"animal": en, "sign": sign_en})


ZODIAC = Vertical(
    id="zodiac",
    name_zh="生肖星座",
    name_en="Zodiac",
    description_zh="出生年份的生肖，出生日期的星座。",
    description_en="Chinese zodiac animal of a birth year, and the star sign of a birthday.",
    examples_zh=(
        "1990年出生属什么",
        "1988年属什么生肖",
        "2000年的人属什么",
        "我是1995年3月15日出生的，什么星座",
        "1985-08-20是什么星座",
        "2012年出生属啥",
        "1979年属相",
        "1992年10月1日出生的星座和生肖",
        "2024年是什么年",
        "1966年属什么",
        "2001年12月25日星座",
        "属相查询1970年",
    ),
    examples_en=(
        "what's the chinese zodiac for 1990",
        "which animal is 1988",
        "zodiac animal for someone born in 2000",
        "what star sign is 1995-03-15",
        "star sign for 1985-08-20",
        "what chinese zodiac is 2012",
        "zodiac of 1979",
        "star sign and zodiac for 1992-10-01",
        "what year of the animal is 2024",
        "1966 chinese zodiac",
        "star sign for 2001-12-25",
        "chinese zodiac 1970",
    ),
    slots=(
        SlotSpec("birthday", "date"),
        SlotSpec("year", "int", question_zh="你是哪一年出生的？", question_en="Which year were you born?"),
    ),
    triggers=(
        "属什么|生肖|属相|星座|本命年|属[鼠牛虎兔龙蛇马羊猴鸡狗猪]",
        "zodiac|star sign|year of the|astrological sign|what sign|horoscope",
        "animal year|which animal|what animal|chinese zodiac",
        r"属啥|\d{4}\s*年是什么年",
    ),
    extract=_zodiac_slots,
    handler=_zodiac,
)
