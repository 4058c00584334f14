"""`simulagent serve`: the agent and the simultaneous translator over WebSockets, with a browser demo.

See `docs/protocol.md` for the wire protocol.
"""

from simulagent.agent.server.app import check_bind, create_app
from simulagent.agent.server.options import ServerOptions
from simulagent.agent.server.protocol import PROTOCOL_SCHEMA, PROTOCOL_VERSION
from simulagent.agent.server.session import AudioOut, EventOut, ServerSession, StreamingSystemSession
from simulagent.agent.server.worker import ModelWorker

__all__ = [
    "PROTOCOL_SCHEMA",
    "PROTOCOL_VERSION",
    "AudioOut",
    "EventOut",
    "ModelWorker",
    "ServerOptions",
    "ServerSession",
    "StreamingSystemSession",
    "check_bind",
    "create_app",
]
