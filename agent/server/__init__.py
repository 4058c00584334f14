"""`simulagent serve`: the agent and the simultaneous translator over WebSockets, with a browser demo.

See `docs/protocol.md` for the wire protocol.
"""

from simulagent.agent.server.app import ServerOptions, check_bind, create_app
from simulagent.agent.server.protocol import PROTOCOL_SCHEMA, PROTOCOL_VERSION
from simulagent.agent.server.session import AudioOut, EventOut, ServerSession, StreamingSystemSession

__all__ = [
    "PROTOCOL_SCHEMA",
    "PROTOCOL_VERSION",
    "AudioOut",
    "EventOut",
    "ServerOptions",
    "ServerSession",
    "StreamingSystemSession",
    "check_bind",
    "create_app",
]
