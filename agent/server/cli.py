"""`simulagent serve`: start the WebSocket server (localhost by default) and print its URL."""

from __future__ import annotations

import argparse
import importlib
import os
from typing import Any

from simulagent.config import Config
from simulagent.errors import UserError


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
    parser.set_defaults(func=_serve)


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
    from simulagent.agent.server.app import ServerOptions, check_bind, create_app
    from simulagent.agent.server.sessions import build_session_factory

    host = args.host or config.server.host
    port = config.server.port if args.port is None else args.port
    if not 0 < port < 65536:
        raise UserError(f"--port must be in 1..65535; got {port}")
    token = args.token if args.token is not None else os.environ.get(config.server.token_env, "")
    check_bind(host, token)
    factory, models = build_session_factory(config, system_spec=args.system)
    app = create_app(
        factory,
        ServerOptions(
            token=token,
            allowed_origins=tuple(args.allow_origin),
            max_sessions=config.server.max_sessions,
            loaded_models=models,
        ),
    )
    import uvicorn

    shown_host = f"[{host}]" if ":" in host else host
    print(f"simulagent serving on http://{shown_host}:{port}/ (WebSocket: ws://{shown_host}:{port}/ws)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", ws_max_size=1 << 20)
    return 0
