"""The conformance test over every registered skill, the fault list of web skills, the store's crash safety,
plugin discovery (a template package built with pip) and the CLI."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from simulagent.cli import main
from simulagent.signals import ChatMessage, GenerationOptions
from simulagent.verticals.api import SlotSpec, Vertical, VerticalContext, detect_lang, run_vertical_sync
from simulagent.verticals.builtin.math_units import capital_amount
from simulagent.verticals.registry import BUILTIN, PLANNED_IDS, load_registry
from simulagent.verticals.store import LocalStore

from .conftest import NOW, FixtureServer


def test_registry_is_explicit_and_ids_are_public() -> None:
    ids = [v.id for v in BUILTIN]
    assert len(ids) == len(set(ids))
    assert set(ids) <= set(PLANNED_IDS)
    assert len(PLANNED_IDS) == 38


@pytest.mark.parametrize("skill", BUILTIN, ids=lambda v: v.id)
def test_skill_conformance(skill: Vertical, ctx: VerticalContext) -> None:
    assert skill.name_zh and skill.name_en and skill.description_zh and skill.description_en
    assert len(skill.examples_zh) >= 12 and len(skill.examples_en) >= 12
    assert all(detect_lang(e) == "zh" for e in skill.examples_zh)
    assert all(detect_lang(e) == "en" for e in skill.examples_en)
    for spec in skill.slots:
        assert isinstance(spec, SlotSpec)
    for example in (*skill.examples_zh, *skill.examples_en):
        local = dataclasses.replace(ctx, lang=detect_lang(example))
        result = run_vertical_sync(skill, local, example)
        assert result.text, example
        assert result.lang == local.lang
        assert "error" not in result.data, f"{skill.id}: {example!r} -> {result.text}"


def test_missing_slot_is_asked_for(ctx: VerticalContext) -> None:
    weather = load_registry(plugins=False).get("weather")
    result = run_vertical_sync(weather, dataclasses.replace(ctx, lang="zh"), "明天天气怎么样")
    assert result.text == "哪个城市？" and result.data["slot"] == "city"
    follow_up = run_vertical_sync(weather, dataclasses.replace(ctx, lang="zh"), "明天天气怎么样", {"city": "Shanghai"})
    assert "上海明天小雨" in follow_up.text


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("500", "failed (HTTP 500)"),
        ("malformed", "malformed data"),
        ("html", "a web page instead of data"),
        ("quota", "limit exceeded"),
        ("missing", "missing expected fields"),
        ("timeout", "no answer within"),
    ],
)
def test_every_web_fault_gets_a_spoken_answer(
    ctx: VerticalContext, fixture_server: FixtureServer, mode: str, reason: str
) -> None:
    fixture_server.mode = mode
    weather = load_registry(plugins=False).get("weather")
    result = run_vertical_sync(weather, ctx, "what's the weather in Shanghai tomorrow")
    assert result.text.startswith("Sorry, the weather service cannot answer right now")
    assert reason in result.text and result.data["error"] == "provider"


def test_unreachable_provider(ctx: VerticalContext) -> None:
    ctx.http.base_urls["open-meteo"] = "http://127.0.0.1:9"
    result = run_vertical_sync(load_registry(plugins=False).get("weather"), ctx, "weather in Beijing today")
    assert "unreachable" in result.text


def test_answers_are_right(ctx: VerticalContext) -> None:
    reg = load_registry(plugins=False)
    zh = dataclasses.replace(ctx, lang="zh")
    assert run_vertical_sync(reg.get("calculator"), zh, "三加五等于多少").data["value"] == 8
    assert run_vertical_sync(reg.get("calculator"), ctx, "what is 15% of 200").data["value"] == 30
    assert run_vertical_sync(reg.get("unit_convert"), zh, "一斤是多少克").data["value"] == pytest.approx(500)
    assert run_vertical_sync(reg.get("unit_convert"), zh, "两公斤是多少斤").data["value"] == pytest.approx(4)
    assert run_vertical_sync(reg.get("date.query"), ctx, "what day is tomorrow").data["date"] == "2025-06-11"
    assert run_vertical_sync(reg.get("date.countdown"), ctx, "how many days until christmas").data["days"] == 198
    assert run_vertical_sync(reg.get("zodiac"), zh, "1990年出生属什么").data["animal"] == "Horse"
    assert run_vertical_sync(reg.get("time.now"), ctx, "what time is it in Tokyo").text == "It is 17:30 in Tokyo."
    assert capital_amount(1234.5) == "壹仟贰佰叁拾肆元伍角整"
    assert capital_amount(10800) == "壹万零捌佰元整"
    assert capital_amount(100.07) == "壹佰元零柒分"
    bmi = run_vertical_sync(reg.get("health_calc"), ctx, "bmi for 175 cm 80 kg").data["bmi"]
    assert bmi == pytest.approx(80 / 1.75**2)


def test_todo_and_notes_persist(ctx: VerticalContext, tmp_path: Path) -> None:
    reg = load_registry(plugins=False)
    run_vertical_sync(reg.get("todo"), ctx, "add buy milk to my to-do list")
    run_vertical_sync(reg.get("todo"), ctx, "add call mom to my list")
    run_vertical_sync(reg.get("todo"), ctx, "done with item 1")
    assert run_vertical_sync(reg.get("todo"), ctx, "what's on my to-do list").data["items"] == ["call mom"]
    run_vertical_sync(reg.get("note"), ctx, "note down that the car is on level B2")
    reopened = dataclasses.replace(ctx, store=LocalStore(tmp_path / "store.sqlite"))
    assert run_vertical_sync(reg.get("note"), reopened, "read my notes").data["notes"] == ["the car is on level B2"]


def test_store_survives_a_kill_mid_write(tmp_path: Path) -> None:
    path = tmp_path / "kill.sqlite"
    script = textwrap.dedent(
        f"""
        import os, sys
        from pathlib import Path
        from simulagent.verticals.store import LocalStore
        store = LocalStore(Path({str(path)!r}))
        store.add("u", "note", "committed")
        with store.transaction() as db:
            db.execute("INSERT INTO items(user_id, kind, text, created_at) VALUES ('u', 'note', 'half-written', 0)")
            print("inside", flush=True)
            os.kill(os.getpid(), 9)
        """
    )
    process = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert "inside" in process.stdout and process.returncode != 0
    store = LocalStore(path)
    assert [t for _, t, _ in store.items("u", "note")] == ["committed"]


def test_broken_plugins_are_reported_and_skipped() -> None:
    broken = EntryPoint("broken", "no_such_module_for_test:SKILL", "simulagent.verticals")
    bad_type = EntryPoint("bad_type", "os:getcwd", "simulagent.verticals")
    registry = load_registry(plugins=False, extra_entry_points=[broken, bad_type])
    assert set(registry.broken) == {"broken", "bad_type"}
    assert "weather" in registry.skills


@pytest.mark.slow
def test_template_package_installs_and_is_discovered(tmp_path: Path) -> None:
    from simulagent.verticals.template import write_template

    folder = write_template("Greeter", tmp_path)
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "--target",
            str(target),
            str(folder),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(target)!r})
        from importlib.metadata import entry_points
        from simulagent.verticals.registry import load_registry
        registry = load_registry(plugins=True)
        assert "greeter" in registry.skills, (registry.skills.keys(), registry.broken)
        from datetime import datetime, timezone
        from simulagent.verticals.api import VerticalContext, run_vertical_sync
        ctx = VerticalContext(now=datetime.now(timezone.utc))
        print(run_vertical_sync(registry.get("greeter"), ctx, "say hello to Ann").text)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Hello, Ann!"
    test = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:flake8", str(folder / "tests")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "PYTHONPATH": str(target)},
    )
    assert test.returncode == 0, test.stdout[-1500:]


def test_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["verticals", "list"]) == 0
    assert "weather" in capsys.readouterr().out
    assert main(["verticals", "run", "calculator", "--slot", "expression=6*7"]) == 0
    assert "That is 42." in capsys.readouterr().out
    assert main(["verticals", "run", "calculator", "--say", "十二乘以八是多少"]) == 0
    assert "等于96。" in capsys.readouterr().out
    assert main(["verticals", "run", "nope"]) == 2
    assert main(["verticals", "run", "calculator", "--slot", "bogus=1"]) == 2
    assert main(["verticals", "new", "My Skill", "--dir", str(tmp_path)]) == 0
    assert (tmp_path / "simulagent-skill-my-skill" / "pyproject.toml").is_file()


def test_durations_and_alarm_times(ctx: VerticalContext) -> None:
    from simulagent.verticals.builtin.timers import _clock, _duration_s

    assert _duration_s("set a timer for half an hour") == 1800
    assert _duration_s("计时十分钟") == 600
    assert _duration_s("设一个半小时的计时") == 5400
    assert _duration_s("半小时后提醒我喝水") == 1800
    assert _duration_s("timer for ten minutes") == 600
    assert _duration_s("an hour and 5 minutes") == 3900
    assert _clock("明天早上7点叫我起床") == (7, 0)
    assert _clock("下午3点提醒我开会") == (15, 0)
    assert _clock("set an alarm for 6:30") == (6, 30)
    assert _clock("alarm at 10 pm") == (22, 0)
    reg = load_registry(plugins=False)
    result = run_vertical_sync(reg.get("alarm"), ctx, "wake me up at 7 am tomorrow")
    assert result.data["due"].startswith("2025-06-11T07:00")
    run_vertical_sync(reg.get("timer"), ctx, "set a timer for 5 minutes")
    assert [kind for _, _, kind, _ in ctx.store.due(NOW.timestamp() + 301)] == ["timer"]


# One utterance per web skill, answered from the fixture server when it behaves.
WEB_SKILLS = {
    "weather": "what's the weather in Shanghai tomorrow",
    "air_quality": "what's the air quality in Beijing",
    "earthquake": "any earthquakes today",
    "fx_rate": "convert 100 dollars to yuan",
    "stock_quote": "what's Apple's stock price",
    "crypto_price": "what's the price of bitcoin",
    "encyclopedia": "who is Albert Einstein",
    "dictionary_en": "define serendipity",
    "translate": "translate good morning into Chinese",
    "books": "who wrote Dune",
    "radio": "play some jazz radio",
    "news": "latest technology news",
    "route_time": "how long to drive from Beijing to Tianjin",
    "flight_track": "where is flight CA981 now",
    "place_info": "where is Timbuktu",
}


@pytest.mark.parametrize("mode", ["500", "malformed", "html", "quota", "missing", "timeout"])
def test_every_web_skill_answers_every_fault(ctx: VerticalContext, fixture_server: FixtureServer, mode: str) -> None:
    reasons = {
        "500": ("failed (HTTP 500)",),
        "malformed": ("malformed",),
        "html": ("a web page instead of data",),
        "quota": ("limit exceeded", "quota"),
        "missing": ("missing expected fields", "malformed", "cannot find", "nothing"),
        "timeout": ("no answer within",),
    }[mode]
    reg = load_registry(plugins=False)
    fixture_server.mode = mode
    for skill_id, utterance in WEB_SKILLS.items():
        result = run_vertical_sync(reg.get(skill_id), ctx, utterance)
        assert result.text.startswith("Sorry, "), (skill_id, result.text)
        assert result.data.get("error") == "provider", (skill_id, result.text)
        assert any(reason in result.text for reason in reasons), (skill_id, result.text)
    fixture_server.mode = "ok"
    for skill_id, utterance in WEB_SKILLS.items():
        assert "error" not in run_vertical_sync(reg.get(skill_id), ctx, utterance).data, skill_id


def test_web_skills_give_right_answers(ctx: VerticalContext, fixture_server: FixtureServer) -> None:
    reg = load_registry(plugins=False)
    zh = dataclasses.replace(ctx, lang="zh")
    fx = run_vertical_sync(reg.get("fx_rate"), zh, "100美元换多少人民币").data
    assert (fx["from"], fx["to"], fx["amount"]) == ("USD", "CNY", 100) and fx["value"] == pytest.approx(719.3, 0.01)
    swapped = run_vertical_sync(reg.get("fx_rate"), ctx, "how many Hong Kong dollars is 50 USD").data
    assert (swapped["from"], swapped["to"], swapped["amount"]) == ("USD", "HKD", 50)
    assert run_vertical_sync(reg.get("fx_rate"), zh, "1万韩元是多少钱").data["amount"] == 10000
    quakes = run_vertical_sync(reg.get("earthquake"), ctx, "earthquakes above magnitude 6 today").data
    assert quakes["count"] == 2 and quakes["quakes"][0]["magnitude"] >= 6
    assert run_vertical_sync(reg.get("earthquake"), zh, "日本最近有没有地震").data["count"] == 1
    assert any("summary/2.5_day.geojson" in path for path in fixture_server.requests)
    assert run_vertical_sync(reg.get("stock_quote"), zh, "查一下600519的股价").data["symbol"] == "600519.SS"
    assert "disambiguation" not in run_vertical_sync(reg.get("encyclopedia"), ctx, "who is Ada Lovelace").text
    assert run_vertical_sync(reg.get("encyclopedia"), ctx, "what is Mercury disambiguation").data["ambiguous"]
    missing = run_vertical_sync(reg.get("dictionary_en"), ctx, "define qwxz")
    assert missing.data["error"] == "provider" and "nothing under that name" in missing.text
    flight = run_vertical_sync(reg.get("flight_track"), zh, "国航981在哪里").data
    assert flight["callsign"] == "CCA981" and flight["airborne"]
    assert run_vertical_sync(reg.get("flight_track"), ctx, "where is JL61 now").data["airborne"] is False
    assert not run_vertical_sync(reg.get("flight_track"), ctx, "where is flight KE999").data["airborne"]
    route = run_vertical_sync(reg.get("route_time"), ctx, "how long to walk from Wuhan to Changsha").data
    assert route["mode"] == "walking" and route["destination"] == "Changsha"
    assert any("/route/v1/foot/114.3055,30.5928;112.97,28.19" in path for path in fixture_server.requests)
    place = run_vertical_sync(reg.get("place_info"), ctx, "where is Timbuktu")
    assert place.data["latitude"] == pytest.approx(28.19)
    radio = run_vertical_sync(reg.get("radio"), zh, "收听中国之声").data
    assert radio["stream_url"].startswith("http://")
    assert any("name=%E4%B8%AD%E5%9B%BD%E4%B9%8B%E5%A3%B0" in path for path in fixture_server.requests)


def test_news_feeds_are_configurable(ctx: VerticalContext, fixture_server: FixtureServer) -> None:
    custom = dataclasses.replace(ctx, news_feeds={"astronomy": f"{fixture_server.url}/rss/astronomy.xml"})
    result = run_vertical_sync(load_registry(plugins=False).get("news"), custom, "any astronomy news")
    assert result.data["topic"] == "astronomy" and "about rss astronomy.xml" in result.data["headlines"][0]


def test_translate_prefers_the_local_model(ctx: VerticalContext) -> None:
    class FakeModel:
        def __init__(self) -> None:
            self.prompts: list[str] = []

        def stream(self, messages: list[ChatMessage], options: GenerationOptions) -> Iterator[str]:
            self.prompts.append(messages[-1].content)
            yield from ("Bonjour", " !")

    model = FakeModel()
    local = dataclasses.replace(ctx, translator=model)
    result = run_vertical_sync(load_registry(plugins=False).get("translate"), local, "translate hello into French")
    assert result.data["translation"] == "Bonjour !" and result.source == "local language model"
    assert "into French" in model.prompts[0] and model.prompts[0].endswith("hello")


def test_agenda_reads_the_calendar(ctx: VerticalContext, tmp_path: Path) -> None:
    agenda = load_registry(plugins=False).get("agenda")
    tomorrow = run_vertical_sync(agenda, ctx, "my schedule for tomorrow").data["events"]
    assert [e["summary"] for e in tomorrow] == ["Team stand-up", "Dentist"]
    assert tomorrow[1]["start"].startswith("2025-06-11T14:00") and tomorrow[1]["location"] == "12 Main Street"
    friday = run_vertical_sync(agenda, ctx, "anything on Friday").data["events"]
    assert friday[0] == {
        "start": "2025-06-13T00:00:00+08:00",
        "all_day": True,
        "summary": "Mum's birthday",
        "location": "",
    }
    assert len(run_vertical_sync(agenda, ctx, "what meetings do I have this week").data["events"]) == 7
    saturday = run_vertical_sync(agenda, ctx, "what's on my calendar on Saturday").text
    assert saturday == "Nothing on your calendar on Saturday, June 14."
    broken = tmp_path / "broken.ics"
    broken.write_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:garbage\n")
    bad = run_vertical_sync(agenda, dataclasses.replace(ctx, calendar_file=str(broken)), "today's agenda")
    assert bad.text == "The calendar file is not valid iCalendar."
    none = run_vertical_sync(agenda, dataclasses.replace(ctx, calendar_file=""), "today's agenda")
    assert "verticals.calendar_file" in none.text


def test_poems_and_jokes_come_from_the_licensed_corpus(ctx: VerticalContext) -> None:
    from simulagent.verticals.builtin.poem_joke import corpus

    data = corpus()
    assert "public domain" in data["licence"]
    assert {j["origin"] for j in data["jokes"]} <= {"original", "traditional"}
    skill = load_registry(plugins=False).get("poem_joke")
    zh = dataclasses.replace(ctx, lang="zh")
    assert "床前明月光" in run_vertical_sync(skill, zh, "背一下静夜思").text
    assert run_vertical_sync(skill, ctx, "a poem by Du Fu please").data["author"] == "杜甫"
    assert run_vertical_sync(skill, zh, "讲个笑话").data["kind"] == "joke"


def test_bad_provider_settings_are_config_errors() -> None:
    from simulagent.config import Config, VerticalsConfig
    from simulagent.errors import UserError
    from simulagent.verticals.context import make_context

    config = Config(verticals=VerticalsConfig(base_urls=("osrm",)))
    with pytest.raises(UserError, match=r"verticals\.base_urls"):
        make_context(config)
    good = Config(verticals=VerticalsConfig(base_urls=("osrm=http://127.0.0.1:5000",), news_feeds=("x=https://a/b",)))
    ctx = make_context(good)
    assert ctx.http.base("osrm") == "http://127.0.0.1:5000" and ctx.news_feeds == {"x": "https://a/b"}
