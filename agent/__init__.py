"""simulagent.agent."""
