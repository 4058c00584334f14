"""simulagent.policies."""
