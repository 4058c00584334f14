"""fx_rate, stock_quote and crypto_price: currency conversion at the European Central Bank's reference rates
(Frankfurter), stock prices (Yahoo Finance's public chart endpoint; best effort, it is unofficial and may refuse)
and cryptocurrency prices (CoinGecko)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from simulagent.verticals.api import ProviderError, SlotSpec, Vertical, VerticalContext, VerticalResult
from simulagent.verticals.slots import EN_NUMBERS, find_number
from simulagent.verticals.web import HTTP

__all__ = ["CRYPTO_PRICE", "CURRENCIES", "FX_RATE", "STOCK_QUOTE"]

# ISO code -> (Chinese name, English name, spoken aliases). Frankfurter serves the ECB's ~30 currencies.
CURRENCIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "CNY": ("人民币", "Chinese yuan", ("人民币", "元", "块", "yuan", "rmb", "renminbi", "cny")),
    "USD": ("美元", "US dollars", ("美元", "美金", "dollar", "dollars", "usd", "bucks")),
    "EUR": ("欧元", "euros", ("欧元", "euro", "euros", "eur")),
    "JPY": ("日元", "Japanese yen", ("日元", "日币", "yen", "jpy")),
    "GBP": ("英镑", "British pounds", ("英镑", "pound", "pounds", "sterling", "gbp")),
    "HKD": ("港币", "Hong Kong dollars", ("港币", "港元", "hong kong dollar", "hong kong dollars", "hkd")),
    "KRW": ("韩元", "South Korean won", ("韩元", "韩币", "won", "krw")),
    "AUD": ("澳元", "Australian dollars", ("澳元", "澳币", "australian dollar", "australian dollars", "aud")),
    "CAD": ("加元", "Canadian dollars", ("加元", "加币", "canadian dollar", "canadian dollars", "cad")),
    "CHF": ("瑞士法郎", "Swiss francs", ("瑞士法郎", "swiss franc", "swiss francs", "chf")),
    "SGD": ("新加坡元", "Singapore dollars", ("新加坡元", "新币", "singapore dollar", "singapore dollars", "sgd")),
    "THB": ("泰铢", "Thai baht", ("泰铢", "baht", "thb")),
    "INR": ("印度卢比", "Indian rupees", ("印度卢比", "卢比", "rupee", "rupees", "inr")),
}


def _currencies_in(text: str) -> list[str]:
    """ISO codes named in `text`, in order of appearance (longer aliases first, so 港元 is not read as 元)."""
    lowered = text.lower()
    aliases = sorted(((a, code) for code, (_, _, names) in CURRENCIES.items() for a in names), key=lambda x: -len(x[0]))
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for alias, code in aliases:
        for match in re.finditer(re.escape(alias) if not alias.isascii() else rf"\b{re.escape(alias)}\b", lowered):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            taken.append(span)
            found.append((span[0], code))
    ordered: list[str] = []
    for _, code in sorted(found):
        if code not in ordered:
            ordered.append(code)
    return ordered


def _fx_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    codes = _currencies_in(utterance)
    if len(codes) > 1 and re.match(r"\s*how (?:many|much)\s+(?!is\b)", utterance.lower()):
        # "how many yen is 50 dollars": the asked-for currency comes first.
        codes = [codes[1], codes[0], *codes[2:]]
    out: dict[str, str] = {}
    if codes:
        out["from_currency"] = codes[0]
    if len(codes) > 1:
        out["to_currency"] = codes[1]
    scaled = re.sub(
        r"(\d+(?:\.\d+)?)\s*([万千亿])",
        lambda m: f"{float(m[1]) * {'千': 1e3, '万': 1e4, '亿': 1e8}[m[2]]:g}",
        utterance,
    )
    amount = find_number(scaled)
    if amount is None:
        word = re.search(r"\b(" + "|".join(w for w in EN_NUMBERS if len(w) > 2) + r")\b", utterance.lower())
        amount = float(EN_NUMBERS[word[1]]) if word else None
    if amount is not None and amount > 0:
        out["amount"] = f"{amount:g}"
    return out


def _fx_rate(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    label = ctx.say("汇率服务", "the exchange-rate service")
    source = str(slots["from_currency"])
    default_target = "CNY" if ctx.lang == "zh" else "USD"
    target = str(
        slots.get("to_currency")
        or (default_target if source != default_target else "EUR" if source == "USD" else "USD")
    )
    amount = float(slots.get("amount", 1.0))
    http: HTTP = ctx.http or HTTP()
    data = http.get_json("frankfurter", label, "/v1/latest", {"base": source, "symbols": target})
    try:
        rate = float(data["rates"][target])
        day = str(data.get("date", ""))
    except (KeyError, TypeError, ValueError):
        raise ProviderError(label, "the answer was missing expected fields") from None
    value = amount * rate
    zh_from, en_from, _ = CURRENCIES.get(source, (source, source, ()))
    zh_to, en_to, _ = CURRENCIES.get(target, (target, target, ()))
    if amount == 1 and en_from.endswith("s"):  # "1 euro", "1 US dollar"
        en_from = en_from[:-1]
    text = ctx.say(
        f"{amount:,.10g}{zh_from}约合{value:,.2f}{zh_to}（欧洲央行{day}参考汇率）。",
        f"{amount:,.10g} {en_from} is about {value:,.2f} {en_to} (ECB reference rate of {day}).",
    )
    return VerticalResult(
        text,
        ctx.lang,
        {"from": source, "to": target, "amount": amount, "rate": rate, "value": value, "date": day},
        "Frankfurter (ECB)",
    )


FX_RATE = Vertical(
    id="fx_rate",
    name_zh="汇率换算",
    name_en="Currency conversion",
    description_zh="货币换算（欧洲央行参考汇率，Frankfurter）。",
    description_en="Currency conversion at the ECB reference rates (Frankfurter).",
    examples_zh=(
        "100美元换多少人民币",
        "美元兑人民币汇率",
        "一千日元是多少人民币",
        "500欧元等于多少美元",
        "英镑汇率是多少",
        "200港币能换多少人民币",
        "1万韩元是多少钱",
        "人民币兑欧元汇率",
        "50澳元换成人民币",
        "今天美元汇率",
        "三百加元等于多少人民币",
        "泰铢和人民币的汇率",
    ),
    examples_en=(
        "convert 100 dollars to yuan",
        "what is the euro to dollar exchange rate",
        "how much is 1000 yen in US dollars",
        "500 euros in pounds",
        "exchange rate of British pounds",
        "how many Hong Kong dollars is 50 USD",
        "convert fifty Swiss francs to euros",
        "USD to CNY rate",
        "how much is 20 pounds in dollars",
        "dollar to yen exchange rate today",
        "convert 300 Canadian dollars to US dollars",
        "how many rupees for one dollar",
    ),
    slots=(
        SlotSpec("from_currency", "text", required=True, question_zh="换算哪种货币？", question_en="Which currency?"),
        SlotSpec("to_currency", "text"),
        SlotSpec("amount", "float"),
    ),
    triggers=(
        "汇率|兑换|换多少|能换|美元|欧元|日元|英镑|港币|港元|韩元|澳元|加元|泰铢|卢布|外汇|瑞士法郎|新加坡元",
        "exchange rate|currency",
        "convert .{0,20}(dollars?|euros?|yen|pounds?|yuan|rmb|francs?|won|baht|rupees?)",
        r"(dollars?|euros?|yen|pounds?|yuan|rmb|usd|eur|cny|jpy|gbp|hkd)\b.{0,20}\b(to|in|into)\b",
        "how many .{0,25}(dollars?|euros?|yen|pounds?|yuan|rupees?|won|baht|francs?)",
    ),
    extract=_fx_slots,
    handler=_fx_rate,
    source="web (Frankfurter/ECB)",
)


# Company names people say -> ticker symbols (Yahoo's suffixes: .HK Hong Kong, .SS Shanghai, .SZ Shenzhen).
_TICKERS = {
    "苹果": "AAPL",
    "apple": "AAPL",
    "特斯拉": "TSLA",
    "tesla": "TSLA",
    "微软": "MSFT",
    "microsoft": "MSFT",
    "谷歌": "GOOGL",
    "google": "GOOGL",
    "alphabet": "GOOGL",
    "亚马逊": "AMZN",
    "amazon": "AMZN",
    "英伟达": "NVDA",
    "nvidia": "NVDA",
    "腾讯": "0700.HK",
    "tencent": "0700.HK",
    "阿里巴巴": "BABA",
    "alibaba": "BABA",
    "贵州茅台": "600519.SS",
    "茅台": "600519.SS",
    "比亚迪": "002594.SZ",
    "byd": "002594.SZ",
    "百度": "BIDU",
    "baidu": "BIDU",
    "京东": "JD",
    "小米": "1810.HK",
    "xiaomi": "1810.HK",
    "台积电": "TSM",
    "tsmc": "TSM",
    "meta": "META",
    "facebook": "META",
    "netflix": "NFLX",
    "奈飞": "NFLX",
}


def _stock_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    lowered = utterance.lower()
    for name in sorted(_TICKERS, key=len, reverse=True):
        if (name in utterance) if not name.isascii() else re.search(rf"\b{re.escape(name)}\b", lowered):
            return {"symbol": _TICKERS[name]}
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", utterance)
    if code:  # a mainland A-share code: 6xxxxx trades in Shanghai, others in Shenzhen
        return {"symbol": code[1] + (".SS" if code[1].startswith("6") else ".SZ")}
    ticker = re.search(r"\b([A-Z]{1,5})\b(?=\s*(?:stock|shares|share price|股价|股票|$))", utterance)
    return {"symbol": ticker[1]} if ticker else {}


def _stock_quote(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    label = ctx.say("股票行情服务", "the stock quote service")
    symbol = str(slots["symbol"]).upper()
    http: HTTP = ctx.http or HTTP()
    data = http.get_json("yahoo-finance", label, f"/v8/finance/chart/{symbol}", {"range": "1d", "interval": "1d"})
    try:
        chart = data["chart"]
        if chart.get("error"):
            raise ProviderError(label, str(chart["error"].get("description", "it does not know that symbol")))
        meta = chart["result"][0]["meta"]
        price = float(meta["regularMarketPrice"])
        previous = float(meta.get("chartPreviousClose") or meta.get("previousClose") or price)
        currency = str(meta.get("currency", ""))
        name = str(meta.get("longName") or meta.get("shortName") or symbol)
    except (KeyError, TypeError, ValueError, IndexError):
        raise ProviderError(label, "the answer was missing expected fields") from None
    change = (price - previous) / previous * 100 if previous else 0.0
    direction_zh = "涨" if change >= 0 else "跌"
    direction_en = "up" if change >= 0 else "down"
    text = ctx.say(
        f"{name}（{symbol}）现价{price:,.2f}{currency}，较前收盘{direction_zh}{abs(change):.2f}%。",
        f"{name} ({symbol}) is at {price:,.2f} {currency}, {direction_en} {abs(change):.2f}% from the previous close.",
    )
    return VerticalResult(
        text,
        ctx.lang,
        {"symbol": symbol, "price": price, "previous_close": previous, "change_pct": change, "currency": currency},
        "Yahoo Finance (unofficial)",
    )


STOCK_QUOTE = Vertical(
    id="stock_quote",
    name_zh="股票行情",
    name_en="Stock quotes",
    description_zh="股票价格和涨跌（Yahoo Finance 公开接口，尽力而为）。",
    description_en="Stock prices and the day's change (Yahoo Finance's public endpoint, best effort).",
    examples_zh=(
        "苹果股价多少",
        "特斯拉今天涨了吗",
        "腾讯的股价",
        "茅台现在多少钱一股",
        "英伟达股票行情",
        "阿里巴巴股价",
        "微软股票今天怎么样",
        "比亚迪股价多少",
        "小米股票涨了还是跌了",
        "查一下600519的股价",
        "百度股价",
        "台积电股票多少钱",
    ),
    examples_en=(
        "what's Apple's stock price",
        "how is Tesla stock doing today",
        "Tencent share price",
        "NVDA stock",
        "how much is Microsoft stock",
        "Amazon stock price",
        "is Google stock up today",
        "Alibaba shares",
        "TSLA stock price",
        "what is Netflix trading at",
        "Meta stock today",
        "price of TSMC shares",
    ),
    slots=(SlotSpec("symbol", required=True, question_zh="哪只股票？", question_en="Which stock?"),),
    triggers=(
        "股价|股票|股市|一股|市值|大盘|收盘价|开盘",
        r"\bstocks?\b|\bshares?\b|share price|ticker|nasdaq|dow jones|trading at|stock market|market cap",
        "涨了|跌了|涨跌",
    ),
    extract=_stock_slots,
    handler=_stock_quote,
    source="web (Yahoo Finance, best effort)",
)


_COINS = {
    "比特币": "bitcoin",
    "bitcoin": "bitcoin",
    "btc": "bitcoin",
    "以太坊": "ethereum",
    "以太币": "ethereum",
    "ethereum": "ethereum",
    "ether": "ethereum",
    "eth": "ethereum",
    "狗狗币": "dogecoin",
    "dogecoin": "dogecoin",
    "doge": "dogecoin",
    "莱特币": "litecoin",
    "litecoin": "litecoin",
    "瑞波币": "ripple",
    "xrp": "ripple",
    "ripple": "ripple",
    "solana": "solana",
    "sol": "solana",
    "索拉纳": "solana",
    "艾达币": "cardano",
    "cardano": "cardano",
    "ada": "cardano",
    "泰达币": "tether",
    "tether": "tether",
    "usdt": "tether",
}
_COIN_NAMES = {
    "bitcoin": ("比特币", "Bitcoin"),
    "ethereum": ("以太坊", "Ethereum"),
    "dogecoin": ("狗狗币", "Dogecoin"),
    "litecoin": ("莱特币", "Litecoin"),
    "ripple": ("瑞波币", "XRP"),
    "solana": ("Solana", "Solana"),
    "cardano": ("艾达币", "Cardano"),
    "tether": ("泰达币", "Tether"),
}


def _crypto_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    lowered = utterance.lower()
    out: dict[str, str] = {}
    for name in sorted(_COINS, key=len, reverse=True):
        if (name in utterance) if not name.isascii() else re.search(rf"\b{re.escape(name)}\b", lowered):
            out["coin"] = _COINS[name]
            break
    currencies = [c for c in _currencies_in(utterance) if c in ("USD", "CNY", "EUR", "JPY", "GBP", "HKD")]
    if currencies:
        out["currency"] = currencies[0]
    return out


def _crypto_price(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    label = ctx.say("加密货币行情服务", "the crypto price service")
    coin = str(slots["coin"])
    currency = str(slots.get("currency") or ("CNY" if ctx.lang == "zh" else "USD")).lower()
    http: HTTP = ctx.http or HTTP()
    data = http.get_json(
        "coingecko",
        label,
        "/api/v3/simple/price",
        {"ids": coin, "vs_currencies": currency, "include_24hr_change": "true"},
    )
    try:
        if "status" in data and "error_code" in data["status"]:
            raise ProviderError(label, str(data["status"].get("error_message", "the service reported an error")))
        price = float(data[coin][currency])
        change = data[coin].get(f"{currency}_24h_change")
    except (KeyError, TypeError, ValueError):
        raise ProviderError(label, "the answer was missing expected fields") from None
    zh_name, en_name = _COIN_NAMES.get(coin, (coin, coin.title()))
    zh_cur, en_cur, _ = CURRENCIES.get(currency.upper(), (currency.upper(), currency.upper(), ()))
    change_zh = f"，24小时{'涨' if change >= 0 else '跌'}{abs(change):.1f}%" if change is not None else ""
    change_en = f", {'up' if change >= 0 else 'down'} {abs(change):.1f}% in 24 hours" if change is not None else ""
    text = ctx.say(
        f"{zh_name}现价{price:,.2f}{zh_cur}{change_zh}。", f"{en_name} is at {price:,.2f} {en_cur}{change_en}."
    )
    return VerticalResult(
        text,
        ctx.lang,
        {"coin": coin, "currency": currency.upper(), "price": price, "change_24h_pct": change},
        "CoinGecko",
    )


CRYPTO_PRICE = Vertical(
    id="crypto_price",
    name_zh="加密货币行情",
    name_en="Crypto prices",
    description_zh="比特币等加密货币的价格（CoinGecko）。",
    description_en="Prices of Bitcoin and other cryptocurrencies (CoinGecko).",
    examples_zh=(
        "比特币现在多少钱",
        "以太坊价格",
        "狗狗币今天涨了吗",
        "比特币多少美元",
        "莱特币行情",
        "以太币现在什么价",
        "瑞波币多少钱",
        "比特币今天跌了吗",
        "泰达币价格",
        "狗狗币多少人民币",
        "比特币兑欧元价格",
        "艾达币现在多少",
    ),
    examples_en=(
        "what's the price of bitcoin",
        "how much is ethereum",
        "dogecoin price today",
        "BTC price in euros",
        "is bitcoin up today",
        "litecoin price",
        "how much is one ETH in dollars",
        "solana price",
        "XRP price",
        "bitcoin price in yuan",
        "what is cardano trading at",
        "current price of tether",
    ),
    slots=(
        SlotSpec("coin", required=True, question_zh="哪种加密货币？", question_en="Which cryptocurrency?"),
        SlotSpec("currency"),
    ),
    triggers=(
        "比特币|以太坊|以太币|狗狗币|莱特币|瑞波币|加密货币|数字货币|虚拟货币|币价|泰达币|艾达币",
        r"bitcoin|ethereum|\bbtc\b|\beth\b|dogecoin|\bdoge\b|crypto|solana|\bxrp\b|litecoin|cardano|tether|usdt",
    ),
    extract=_crypto_slots,
    handler=_crypto_price,
    source="web (CoinGecko)",
)
