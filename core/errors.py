"""Error types shared by every area.

A `UserError` is a mistake the user can fix (a bad file, a wrong flag, an unreachable server they configured). The
CLI prints its message as one line and exits with status 2; no traceback unless `--debug` is given. Anything else
that escapes is a bug in simulagent.
"""

from __future__ import annotations

__all__ = ["AudioError", "ConfigError", "SimulagentError", "UserError"]


class SimulagentError(Exception):
    """Base class of every error simulagent raises on purpose."""


class UserError(SimulagentError):
    """A problem in the user's input, files, configuration or environment; the message says what and where."""


class ConfigError(UserError):
    """The configuration file or an environment override is malformed."""


class AudioError(UserError):
    """An audio file or audio buffer cannot be used (format, emptiness, NaN samples, absurd rate, size)."""
