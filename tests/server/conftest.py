"""The model-free system the server tests serve."""

from __future__ import annotations

import pytest

from simulagent.agent.server.diagnostic import AudioMeter


@pytest.fixture
def text_system() -> AudioMeter:
    return AudioMeter()


@pytest.fixture
def speech_system() -> AudioMeter:
    return AudioMeter(speak=True)
