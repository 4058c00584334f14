"""simulagent.rag."""
