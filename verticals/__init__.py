"""simulagent.verticals."""
