"""simulagent.eval."""
