"""Session factories for `simulagent serve`: which system or agent each connection gets.

Models are built once here and shared by every session; a session owns only its stream state.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

from simulagent.agent.server.options import ServerOptions
from simulagent.agent.server.protocol import Hello
from simulagent.agent.server.session import ServerSession, StreamingSystemSession
from simulagent.agent.server.worker import ModelWorker
from simulagent.config import Config
from simulagent.errors import UserError
from simulagent.types import StreamingSystem

__all__ = ["build_session_factory", "system_session_factory"]


def system_session_factory(
    system: StreamingSystem[Any], options: ServerOptions | None = None, worker: ModelWorker | None = None
) -> Callable[[Hello], ServerSession]:
    """Serve one shared `StreamingSystem` to every connection (interpretation mode only).

    Args:
        system: the shared system.
        options: the session limits (`max_pending_events`, `max_backlog_ms`); give `create_app` the same.
        worker: the model worker running every update; give `create_app` the same (default: the process-wide one).
    """
    opts = options or ServerOptions()

    def make(hello: Hello) -> ServerSession:
        if hello.mode != "interpretation":
            raise UserError(f"this server runs the system {system.spec.name!r} and only offers interpretation mode")
        return _streaming_session(system, hello, opts, worker)

    return make


# One model replica per CPU thread, as the worker has a thread per replica: for concurrent streams that is the
# fastest on every CPU measured, even where one stream alone runs faster on a replica of all threads
# (`simulagent.models.asr.single_stream_intra_threads`).
_INTRA_THREADS = 1
# A stream's first update comes after one step, not the alignatt preset's longer first wait (`first_step_ms`, 0: the
# step): admission judges a new stream by its first update (`simulagent.agent.server.admission`), and with clients
# arriving 3 s apart a 3 s wait refused every other one for want of it (6 admitted of 16 where 8-9 fit). Under
# real-time pacing a first update that commits nothing delays no later word; the longer wait is for the
# computation-aware latency of one stream run as fast as it decodes.
_FIRST_STEP_MS = 0.0
# Steps grow up to 8 s, not the preset's 5 s: in the server a step grows with the load of every stream on the worker
# (a batch's time counts for each of its streams), and a grown step keeps a shorter buffer, so an update's window,
# and its cost, stays that of a short step while the cost per second of audio falls with the step's length. The
# longer reach is room to serve more streams at a longer lag instead of refusing them (docs/benchmarks.md, server).
_LONGEST_STEP_MS = 8_000.0


def _build_shared(make_system: Callable[..., Any]) -> Any:
    """Call a `--system` factory, telling it to run a replica per thread, its first update after one step and
    steps of up to 8 s when it takes `intra_threads`, `first_step_ms` and `max_step_ms` (or any keyword)."""
    try:
        parameters = list(inspect.signature(make_system).parameters.values())
    except (TypeError, ValueError):  # a builtin or C callable: nothing to tell
        return make_system()
    settings = {"intra_threads": _INTRA_THREADS, "first_step_ms": _FIRST_STEP_MS, "max_step_ms": _LONGEST_STEP_MS}
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        names = {p.name for p in parameters}
        settings = {name: value for name, value in settings.items() if name in names}
    return make_system(**settings)


def _streaming_session(
    system: StreamingSystem[Any], hello: Hello, options: ServerOptions, worker: ModelWorker | None
) -> StreamingSystemSession:
    return StreamingSystemSession(
        system, hello, options.max_pending_events, worker=worker, max_backlog_ms=options.max_backlog_ms
    )


def build_session_factory(
    config: Config,
    system_spec: str | None = None,
    options: ServerOptions | None = None,
    worker: ModelWorker | None = None,
) -> tuple[Callable[[Hello], ServerSession], tuple[str, ...]]:
    """The factory `simulagent serve` uses, and the names of the models it loaded (for /health).

    `options` and `worker` are the ones given to `create_app` (see `system_session_factory`).
    """
    opts = options or ServerOptions()
    if system_spec is not None:
        from simulagent.agent.server.cli import load_factory

        system = _build_shared(load_factory(system_spec))
        if not isinstance(system, StreamingSystem):
            raise UserError(f"{system_spec} did not return a StreamingSystem (got {type(system).__name__})")
        return system_session_factory(system, opts, worker), (system.spec.name,)
    return _default_factory(config, opts, worker), (
        "whisper:bundled:base (loaded on first interpretation session)",
        "agent",
    )


def _default_factory(
    config: Config, options: ServerOptions, worker: ModelWorker | None
) -> Callable[[Hello], ServerSession]:
    """Interpretation: the bundled Whisper translator (one system per language pair, shared by every session);
    dialogue: one agent per session (thread id resumable), sharing the loaded skills, router and LLM."""
    import threading

    systems: dict[tuple[str, str], StreamingSystem[Any]] = {}
    lock = threading.Lock()
    shared: dict[str, Any] = {}

    def make(hello: Hello) -> ServerSession:
        if hello.mode == "interpretation":
            source = hello.source_lang or "en"
            target = hello.target_lang or "en"
            with lock:
                if (source, target) not in systems:
                    from simulagent.presets import DEFAULT_PRESET, make_system

                    task = "transcribe" if source == target else "translate"
                    system = make_system(
                        DEFAULT_PRESET,
                        task=task,
                        source_lang=source,
                        target_lang=target,
                        num_threads=config.models.num_threads,
                        intra_threads=_INTRA_THREADS,
                        first_step_ms=_FIRST_STEP_MS,
                        max_step_ms=_LONGEST_STEP_MS,
                        compute_type=config.models.compute_type,
                    )
                    systems[(source, target)] = system
            return _streaming_session(systems[(source, target)], hello, options, worker)
        from simulagent.agent.agent import Agent
        from simulagent.agent.server.agent_session import AgentSession

        with lock:
            if "template" not in shared:
                shared["template"] = Agent.from_config(config)
        template: Agent = shared["template"]
        agent_options = dataclasses.replace(template.options, thread_id=hello.thread_id or "default")
        agent = Agent(
            template.registry,
            template.router,
            llm=template.llm,
            retriever=template.retriever,
            web=template.web,
            http=template.http,
            options=agent_options,
        )
        return AgentSession(
            agent, hello, max_pending_events=options.max_pending_events, listen_model=config.agent.listen_model
        )

    return make
