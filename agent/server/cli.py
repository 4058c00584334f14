"""`simulagent serve`: start the WebSocket server (localhost by default) and print its URL."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import logging
import os
from typing import Any

from simulagent.agent.server.options import ServerOptions
from simulagent.agent.server.worker import DEFAULT_MAX_BATCH
from simulagent.config import Config
from simulagent.errors import UserError

_DEFAULTS = ServerOptions()


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="bind address (default from config: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="TCP port (default from config: 8765)")
    parser.add_argument("--token", default=None, help="bearer token clients must send (default: $SIMULAGENT_TOKEN)")
    parser.add_argument(
        "--system",
        default=None,
        metavar="MODULE:FACTORY",
        help="the StreamingSystem served in interpretation mode (a factory returning one); default: the bundled "
        "speech translator",
    )
    parser.add_argument("--allow-origin", action="append", default=[], help="extra browser origin to accept")
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="what the server logs to stderr (default warning; info: each stream admitted or refused, and why)",
    )
    parser.add_argument(
        "--max-batch",
        type=int,
        default=DEFAULT_MAX_BATCH,
        metavar="N",
        help=f"most streaming updates the model worker runs as one batch (default {DEFAULT_MAX_BATCH}; 1: no batching)",
    )
    limits = parser.add_argument_group("admission control and load shedding (docs/protocol.md)")
    limits.add_argument(
        "--max-sessions", type=int, default=None, help="concurrent sessions of any mode (default from config: 16)"
    )
    limits.add_argument(
        "--admission",
        choices=["measured", "fixed"],
        default=None,
        help="measured: also refuse streams beyond the capacity measured on the model (default); fixed: only "
        "--max-sessions",
    )
    limits.add_argument(
        "--max-model-load",
        type=float,
        default=None,
        metavar="FRACTION",
        help=f"share of the model worker's time the measured limit fills (default {_DEFAULTS.max_model_load:g})",
    )
    limits.add_argument(
        "--min-step-headroom",
        type=float,
        default=None,
        metavar="FRACTION",
        help="for systems that lengthen their step under load (alignatt): mean share of the step range left below "
        f"which new streams are refused (default {_DEFAULTS.min_step_headroom:g})",
    )
    limits.add_argument(
        "--max-elastic-busy",
        type=float,
        default=None,
        metavar="FRACTION",
        help="for the same systems: model-busy fraction beyond which new streams are refused whatever the headroom "
        f"(default {_DEFAULTS.max_elastic_busy:g})",
    )
    limits.add_argument(
        "--load-window-s",
        type=float,
        default=None,
        help=f"how far back the load estimate looks (default {_DEFAULTS.load_window_s:g})",
    )
    limits.add_argument(
        "--max-backlog-ms",
        type=float,
        default=None,
        help=f"unprocessed audio a stream may hold before its oldest is skipped (default {_DEFAULTS.max_backlog_ms:g})",
    )
    limits.add_argument(
        "--retry-after-ms",
        type=int,
        default=None,
        help=f"retry hint sent to refused clients (default {_DEFAULTS.retry_after_ms})",
    )
    parser.set_defaults(func=_serve)


def server_options(
    args: argparse.Namespace, config: Config, token: str = "", loaded_models: tuple[str, ...] = ()
) -> ServerOptions:
    """The `ServerOptions` of the `serve` flags, falling back to the config file, then to the defaults."""
    chosen = {
        "admission": args.admission,
        "max_model_load": args.max_model_load,
        "load_window_s": args.load_window_s,
        "max_backlog_ms": args.max_backlog_ms,
        "retry_after_ms": args.retry_after_ms,
        "min_step_headroom": args.min_step_headroom,
        "max_elastic_busy": args.max_elastic_busy,
    }
    return ServerOptions(
        token=token,
        allowed_origins=tuple(args.allow_origin),
        max_sessions=config.server.max_sessions if args.max_sessions is None else args.max_sessions,
        loaded_models=loaded_models,
        **{name: value for name, value in chosen.items() if value is not None},
    )


def load_factory(spec: str) -> Any:
    """Import `module:attribute` and return the attribute."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise UserError(f"--system must look like package.module:factory; got {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UserError(f"cannot import {module_name!r} for --system ({exc})") from exc
    try:
        return getattr(module, attr)
    except AttributeError:
        raise UserError(f"{module_name!r} has no attribute {attr!r}") from None


def _serve(args: argparse.Namespace, config: Config) -> int:
    from simulagent.agent.server.app import check_bind, create_app
    from simulagent.agent.server.sessions import build_session_factory
    from simulagent.agent.server.worker import ModelWorker

    host = args.host or config.server.host
    port = config.server.port if args.port is None else args.port
    if not 0 < port < 65536:
        raise UserError(f"--port must be in 1..65535; got {port}")
    token = args.token if args.token is not None else os.environ.get(config.server.token_env, "")
    check_bind(host, token)
    options = server_options(args, config, token)  # checked before any model loads
    if args.max_batch < 1:
        raise UserError(f"--max-batch must be >= 1; got {args.max_batch}")
    # A thread per model replica of the speech backend.
    worker = ModelWorker(threads=config.models.num_threads, max_batch=args.max_batch)
    factory, models = build_session_factory(config, system_spec=args.system, options=options, worker=worker)
    app = create_app(factory, dataclasses.replace(options, loaded_models=models), worker=worker)
    import uvicorn

    _log_to_stderr(args.log_level)
    shown_host = f"[{host}]" if ":" in host else host
    print(f"simulagent serving on http://{shown_host}:{port}/ (WebSocket: ws://{shown_host}:{port}/ws)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", ws_max_size=1 << 20)
    return 0


def _log_to_stderr(level: str) -> None:
    """The server's own records (`simulagent.*`) on stderr; uvicorn's stay at warning (no line per request)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("simulagent")
    logger.addHandler(handler)
    logger.setLevel(level.upper())
