"""`simulagent verticals new NAME`: a skill package ready to install with pip, with a test."""

from __future__ import annotations

import re
from pathlib import Path

from simulagent.errors import UserError

__all__ = ["write_template"]

_PYPROJECT = """[build-system]
requires = ["setuptools>=70"]
build-backend = "setuptools.build_meta"

[project]
name = "simulagent-skill-{dash}"
version = "0.1.0"
description = "A simulagent skill: {name}"
requires-python = ">=3.11"
dependencies = ["simulagent"]

[project.entry-points."simulagent.verticals"]
{module} = "{module}:SKILL"
"""

_MODULE = '''"""A simulagent skill: {name}. Edit the examples, slots and handler, then `pip install -e .`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulagent.verticals.api import SlotSpec, Vertical, VerticalContext, VerticalResult


def extract(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    words = utterance.split()
    return {{"who": words[-1].strip("?!.")}} if words else {{}}


def handle(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    who = slots.get("who", "")
    return VerticalResult(ctx.say(f"你好，{{who}}！", f"Hello, {{who}}!"), ctx.lang, {{"who": who}})


NAMES_ZH = "小明 小红 老王 张三 李四 王五 妈妈 爸爸 老师 同学 朋友 邻居".split()

SKILL = Vertical(
    id="{module}",
    name_zh="{name}",
    name_en="{name}",
    description_zh="向某人问好。",
    description_en="Greets someone.",
    examples_zh=tuple(f"跟{{n}}打个招呼 {{n}}" for n in NAMES_ZH),
    examples_en=tuple(f"say hello to {{n}}" for n in "Ann Bob Carl Dana Eve Finn Gus Hana Ivan Jo Kim Lee".split()),
    slots=(SlotSpec("who"),),
    extract=extract,
    handler=handle,
)
'''

_TEST = """from datetime import datetime, timezone

from simulagent.verticals.api import VerticalContext, run_vertical_sync
from {module} import SKILL


def test_answers_its_examples() -> None:
    ctx = VerticalContext(now=datetime(2025, 1, 1, tzinfo=timezone.utc))
    for example in SKILL.examples_en:
        assert run_vertical_sync(SKILL, ctx, example).text.startswith("Hello")
"""


def write_template(name: str, parent: Path) -> Path:
    module = re.sub(r"[^a-z0-9_]", "_", name.lower()).strip("_")
    if not module or not module[0].isalpha():
        raise UserError(f"a skill name starts with a letter; got {name!r}")
    folder = parent / f"simulagent-skill-{module.replace('_', '-')}"
    if folder.exists():
        raise UserError(f"{folder} already exists")
    (folder / "tests").mkdir(parents=True)
    (folder / "pyproject.toml").write_text(_PYPROJECT.format(name=name, dash=module.replace("_", "-"), module=module))
    (folder / f"{module}.py").write_text(_MODULE.format(name=name, module=module))
    (folder / "tests" / f"test_{module}.py").write_text(_TEST.format(module=module))
    return folder
