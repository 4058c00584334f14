"""calculator, unit_convert, number_format: arithmetic (simpleeval, Chinese numerals via cn2an), units with pint
plus the Chinese market units (斤, 两, 里, 亩), and amounts in capital Chinese numerals (大写金额)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from simulagent.verticals.api import SlotSpec, Vertical, VerticalContext, VerticalError, VerticalResult
from simulagent.verticals.slots import find_number

__all__ = ["CALCULATOR", "NUMBER_FORMAT", "UNIT_CONVERT"]

_OPERATORS = [
    ("乘以", "*"),
    ("乘", "*"),
    ("除以", "/"),
    ("加上", "+"),
    ("加", "+"),
    ("减去", "-"),
    ("减", "-"),
    ("times", "*"),
    ("multiplied by", "*"),
    ("divided by", "/"),
    ("plus", "+"),
    ("minus", "-"),
    ("×", "*"),
    ("÷", "/"),
    ("x", "*"),
    ("的平方", "**2"),
    ("squared", "**2"),
    ("百分之", "%pct"),
]


def _calc_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    import cn2an

    text = utterance.lower()
    text = re.sub(r"^(what is|what's|calculate|compute|how much is|请问|帮我算一下|算一下|计算)\s*", "", text)
    text = re.sub(r"(等于多少|是多少|等于几|\?|？|=)", "", text)
    text = str(cn2an.transform(text, "cn2an"))  # 二百的百分之十五 -> 200的15%
    pct = re.search(r"(\d+(?:\.\d+)?)\s*%\s*of\s*(\d+(?:\.\d+)?)", text) or re.search(
        r"(\d+(?:\.\d+)?)的(\d+(?:\.\d+)?)%", text
    )
    if pct:
        a, b = (pct[1], pct[2]) if "of" in pct[0] else (pct[2], pct[1])
        return {"expression": f"{a}/100*{b}"}
    for word, symbol in _OPERATORS:
        text = text.replace(word, f" {symbol} ")
    expression = re.sub(r"[^0-9.+\-*/() %]", " ", text).replace("%pct", "")
    expression = re.sub(r"\s+", " ", expression).strip()
    return {"expression": expression} if re.search(r"\d", expression) else {}


def _calculate(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    from simpleeval import InvalidExpression, simple_eval

    expression = str(slots["expression"])
    try:
        value = simple_eval(expression)
    except ZeroDivisionError:
        raise VerticalError("不能除以零。", "You cannot divide by zero.") from None
    except (InvalidExpression, SyntaxError, TypeError, ValueError, OverflowError):
        raise VerticalError("我没听懂这个算式。", "I could not understand that calculation.") from None
    if not isinstance(value, int | float):
        raise VerticalError("我没听懂这个算式。", "I could not understand that calculation.")
    shown = f"{value:.10g}"
    return VerticalResult(
        ctx.say(f"等于{shown}。", f"That is {shown}."), ctx.lang, {"expression": expression, "value": value}
    )


CALCULATOR = Vertical(
    id="calculator",
    name_zh="计算器",
    name_en="Calculator",
    description_zh="四则运算、百分比，支持中文数字。",
    description_en="Arithmetic and percentages, including Chinese numerals.",
    examples_zh=(
        "三加五等于多少",
        "12乘以8是多少",
        "一百除以四",
        "帮我算一下25加37",
        "九十九减去十一",
        "3.5乘2等于几",
        "二百的百分之十五是多少",
        "计算 (3+4)*5",
        "七的平方是多少",
        "1000除以8等于多少",
        "十二乘十二",
        "请问45加55",
    ),
    examples_en=(
        "what is 3 plus 5",
        "12 times 8",
        "calculate 100 divided by 4",
        "what's 25 plus 37",
        "99 minus 11",
        "how much is 3.5 times 2",
        "what is 15% of 200",
        "compute (3+4)*5",
        "what is 7 squared",
        "1000 divided by 8",
        "what's 12 times 12",
        "what is 45 plus 55",
    ),
    slots=(SlotSpec("expression", required=True, question_zh="你想算什么？", question_en="What should I calculate?"),),
    triggers=(
        r"\d\s*[加减乘除]|[加减乘除以]\s*\d|[零一二两三四五六七八九十百千万]\s*(加|减|乘以?|除以)\s*[零一二两三四五六七八九十百千万\d]|等于几|等于多少|平方根|开方",
        "百分之.{1,6}是多少|算一下|计算一下",
        r"\bplus\b|\bminus\b|\btimes\b|divided by|multiplied by|squared|square root|percent of",
        r"\d\s*[-+*/x×÷]\s*\d|calculate|% of",
        "减去|加上|乘上|乘以|除以",
        "平方|立方|开根号|阶乘",
    ),
    extract=_calc_slots,
    handler=_calculate,
)

_UNIT_WORDS = {
    "公里": "kilometer",
    "千米": "kilometer",
    "米": "meter",
    "厘米": "centimeter",
    "英里": "mile",
    "英尺": "foot",
    "英寸": "inch",
    "公斤": "kilogram",
    "千克": "kilogram",
    "克": "gram",
    "磅": "pound",
    "盎司": "ounce",
    "斤": "jin",
    "两": "liang",
    "里": "li",
    "亩": "mu",
    "平方米": "meter**2",
    "公顷": "hectare",
    "升": "liter",
    "毫升": "milliliter",
    "加仑": "gallon",
    "摄氏度": "degC",
    "华氏度": "degF",
    "km": "kilometer",
    "kilometers": "kilometer",
    "kilometer": "kilometer",
    "miles": "mile",
    "mile": "mile",
    "meters": "meter",
    "meter": "meter",
    "feet": "foot",
    "foot": "foot",
    "inches": "inch",
    "inch": "inch",
    "kg": "kilogram",
    "kilograms": "kilogram",
    "pounds": "pound",
    "pound": "pound",
    "lbs": "pound",
    "grams": "gram",
    "ounces": "ounce",
    "liters": "liter",
    "litres": "liter",
    "gallons": "gallon",
    "celsius": "degC",
    "fahrenheit": "degF",
    "jin": "jin",
    "mu": "mu",
    "acres": "acre",
    "acre": "acre",
    "hectares": "hectare",
    "hectare": "hectare",
}
_NUMBER_AT = re.compile(r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万点半]+")
_UNIT_NAMES_ZH = {v: k for k, v in reversed(list(_UNIT_WORDS.items())) if not k.isascii()}


def _registry() -> Any:
    import pint

    registry: Any = pint.UnitRegistry()
    # 市制 (market units of the PRC): 1 斤 = 500 g, 1 两 = 50 g, 1 里 = 500 m, 1 亩 = 2000/3 m².
    registry.define("jin = 500 * gram")
    registry.define("liang = 50 * gram")
    registry.define("li = 500 * meter")
    registry.define("mu = 2000 / 3 * meter ** 2")
    return registry


def _unit_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    lowered = utterance.lower()
    found: list[tuple[int, str]] = []
    for word in sorted(_UNIT_WORDS, key=len, reverse=True):
        for match in re.finditer(re.escape(word) if not word.isascii() else rf"\b{re.escape(word)}\b", lowered):
            after = lowered[match.end() :]
            if word == "两" and any(after.startswith(w) for w in _UNIT_WORDS):
                continue  # "两公斤": 两 is the numeral two here
            if all(not (s <= match.start() < s + len(w)) for s, w in found):
                found.append((match.start(), word))
    found.sort()
    number = _NUMBER_AT.search(utterance)
    value = find_number(utterance)
    if len(found) < 2 or value is None or number is None:
        return {"value": str(value)} if value is not None else {}
    # The unit right after the number is the one converted from ("how many mu is 1 hectare").
    following = [f for f in found if f[0] >= number.end()]
    source = following[0] if following else found[0]
    target = next(f for f in found if f != source)
    return {"value": str(value), "from_unit": _UNIT_WORDS[source[1]], "to_unit": _UNIT_WORDS[target[1]]}


def _convert(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    import pint

    registry = _registry()
    try:
        quantity = registry.Quantity(slots["value"], str(slots["from_unit"])).to(str(slots["to_unit"]))
    except (pint.DimensionalityError, pint.UndefinedUnitError):
        raise VerticalError("这两个单位不能换算。", "Those units cannot be converted into each other.") from None
    amount = f"{quantity.magnitude:.4g}"
    unit_zh = _UNIT_NAMES_ZH.get(str(slots["to_unit"]), str(slots["to_unit"]))
    text = ctx.say(
        f"{slots['value']:g}{_UNIT_NAMES_ZH.get(str(slots['from_unit']), '')}等于{amount}{unit_zh}。",
        f"{slots['value']:g} {slots['from_unit']} is {amount} {slots['to_unit']}.",
    )
    return VerticalResult(text, ctx.lang, {"value": quantity.magnitude, "unit": str(slots["to_unit"])})


UNIT_CONVERT = Vertical(
    id="unit_convert",
    name_zh="单位换算",
    name_en="Unit conversion",
    description_zh="长度、重量、面积、体积、温度换算，包括斤、两、里、亩。",
    description_en="Length, weight, area, volume and temperature, including Chinese market units.",
    examples_zh=(
        "5公里等于多少米",
        "一斤是多少克",
        "3磅是多少公斤",
        "十亩是多少平方米",
        "100华氏度是多少摄氏度",
        "2英里等于多少公里",
        "五两是多少克",
        "一里是多少米",
        "3升是多少毫升",
        "6英尺等于多少米",
        "两公斤是多少斤",
        "一公顷等于多少亩",
    ),
    examples_en=(
        "how many meters in 5 kilometers",
        "convert 3 pounds to kilograms",
        "10 miles in kilometers",
        "100 fahrenheit in celsius",
        "how many grams is 2 jin",
        "5 feet in meters",
        "convert 4 liters to gallons",
        "how many inches in 2 feet",
        "20 celsius to fahrenheit",
        "how many mu is 1 hectare",
        "3 kilograms in pounds",
        "convert 8 ounces to grams",
    ),
    slots=(
        SlotSpec("value", "float", required=True, question_zh="要换算多少？", question_en="How much should I convert?"),
        SlotSpec("from_unit", required=True, question_zh="从什么单位换算？", question_en="From which unit?"),
        SlotSpec("to_unit", required=True, question_zh="换算成什么单位？", question_en="Into which unit?"),
    ),
    triggers=(
        "公斤|千克|斤|公里|英里|亩|公顷|摄氏|华氏|英尺|英寸|厘米|毫米|磅|盎司|加仑|毫升|平方米|立方|克是多少|米是多少|两是多少",
        r"\b(km|kilometers?|miles?|kg|kilos?|kilograms?|grams?|ounces?|lbs?|feet|foot|inch(es)?|cm|centimeters?|meters?|litres?|liters?|gallons?|fahrenheit|celsius|acres?|hectares?)\b",
        "几两|几斤|多少斤|多少克|多少公斤|多少米|多少厘米|多少毫升|多少升",
    ),
    extract=_unit_slots,
    handler=_convert,
)

_CAPITAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_CAPITAL_UNITS = ["", "拾", "佰", "仟"]


def capital_amount(value: float) -> str:
    """An amount of money in capital Chinese numerals (大写), as written on cheques.

    1234.5 -> 壹仟贰佰叁拾肆元伍角整.
    """
    if value < 0 or value >= 1e12:
        raise VerticalError("金额超出范围。", "That amount is out of range.")
    fen_total = round(value * 100)
    yuan, fen_total = divmod(fen_total, 100)
    jiao, fen = divmod(fen_total, 10)
    groups: list[str] = []
    for group_unit in ("", "万", "亿"):
        yuan, part = divmod(yuan, 10_000)
        if part:
            digits = ""
            zero = False
            for position in range(3, -1, -1):
                digit = part // 10**position % 10
                if digit:
                    if zero:
                        digits += "零"
                    digits += _CAPITAL_DIGITS[digit] + _CAPITAL_UNITS[position]
                    zero = False
                elif digits:
                    zero = True
            if part < 1000 and yuan:
                digits = "零" + digits  # 10800: 壹万零捌佰, a gap below the higher group is read
            groups.append(digits + group_unit)
        elif groups and yuan:
            groups.append("零")
        if not yuan:
            break
    integer = "".join(reversed(groups)).replace("零零", "零") or "零"
    text = integer + "元"
    if jiao == 0 and fen == 0:
        return text + "整"
    text += (_CAPITAL_DIGITS[jiao] + "角") if jiao else "零"
    return text + (_CAPITAL_DIGITS[fen] + "分" if fen else "整")


def _number_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    value = find_number(utterance.replace(",", ""))
    return {"value": str(value)} if value is not None else {}


def _number_format(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    import cn2an
    from num2words import num2words

    value = float(slots["value"])
    capital = capital_amount(value)
    reading = cn2an.an2cn(f"{value:g}")
    text = ctx.say(
        f"{value:g}的大写金额是{capital}，读作{reading}。",
        f"{value:g} reads as {num2words(value)}; in Chinese capital numerals: {capital}.",
    )
    return VerticalResult(text, ctx.lang, {"capital": capital, "reading_zh": reading})


NUMBER_FORMAT = Vertical(
    id="number_format",
    name_zh="数字读法与大写金额",
    name_en="Number reading",
    description_zh="把数字写成大写金额，或读出来。",
    description_en="Writes amounts in capital Chinese numerals and reads numbers aloud.",
    examples_zh=(
        "1234.5的大写是什么",
        "一万零八百元大写怎么写",
        "100元的大写金额",
        "帮我把3005元写成大写",
        "2580.75大写",
        "98765怎么读",
        "50000元大写",
        "12.3的大写金额",
        "人民币6666元大写",
        "10086怎么读",
        "八千块大写怎么写",
        "把1001写成大写",
    ),
    examples_en=(
        "how do you write 1234.5 in chinese capital numerals",
        "capital numerals for 100 yuan",
        "write 3005 as a cheque amount",
        "how do I read 98765",
        "say 2580.75 in words",
        "how is 10086 read",
        "50000 in capital chinese",
        "write out 12.3",
        "what is 6666 in capital numerals",
        "read the number 1001",
        "how do you say 8000",
        "spell out 777",
    ),
    slots=(SlotSpec("value", "float", required=True, question_zh="哪个数字？", question_en="Which number?"),),
    triggers=(
        "大写|数字.{0,4}(怎么)?(读|写)|读法|写法|中文数字",
        r"in words|spell out|written out|how do (you|i) (say|read|write) (the number )?\d|ordinal|roman numeral",
        r"\d+\s*(怎么|如何)(读|念|写)",
        r"\d[\d,]*.{0,12}(pronounced|read out|said aloud)|how (is|do you (say|read)) \d",
        r"capital (numerals|chinese)|cheque|check amount|write out \d|read the number|in capital",
    ),
    extract=_number_slots,
    handler=_number_format,
)
