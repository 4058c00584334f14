"""simulagent.models."""
