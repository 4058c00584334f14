"""Session factories for `simulagent serve`: which system or agent each connection gets.

Models are built once here and shared by every session; a session owns only its stream state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulagent.agent.server.protocol import Hello
from simulagent.agent.server.session import ServerSession, StreamingSystemSession
from simulagent.config import Config
from simulagent.errors import UserError
from simulagent.types import StreamingSystem

__all__ = ["build_session_factory", "system_session_factory"]


def system_session_factory(
    system: StreamingSystem[Any], max_pending_events: int = 256
) -> Callable[[Hello], ServerSession]:
    """Serve one shared `StreamingSystem` to every connection (interpretation mode only)."""

    def make(hello: Hello) -> ServerSession:
        if hello.mode != "interpretation":
            raise UserError(f"this server runs the system {system.spec.name!r} and only offers interpretation mode")
        return StreamingSystemSession(system, hello, max_pending_events=max_pending_events)

    return make


def build_session_factory(
    config: Config, system_spec: str | None = None
) -> tuple[Callable[[Hello], ServerSession], tuple[str, ...]]:
    """The factory `simulagent serve` uses, and the names of the models it loaded (for /health)."""
    if system_spec is not None:
        from simulagent.agent.server.cli import load_factory

        make_system = load_factory(system_spec)
        system = make_system()
        if not isinstance(system, StreamingSystem):
            raise UserError(f"{system_spec} did not return a StreamingSystem (got {type(system).__name__})")
        return system_session_factory(system), (system.spec.name,)
    raise UserError(
        "no default system is wired into `simulagent serve` yet: pass --system package.module:factory "
        "(a factory returning a StreamingSystem)"
    )
