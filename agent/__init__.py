"""The voice agent: a LangGraph dialogue graph over the skills, DeepQA retrieval and the LLM, with streaming TTS,
barge-in and persistent conversations; and `simulagent serve`.

    from simulagent.agent import Agent
    agent = Agent.from_config(load_config())
    answer = agent.ask_sync("what's the weather in Shanghai tomorrow")
"""

from simulagent.agent.agent import Agent, AgentOptions
from simulagent.agent.events import Event, to_dict
from simulagent.agent.router import Route, Router

__all__ = ["Agent", "AgentOptions", "Event", "Route", "Router", "to_dict"]
