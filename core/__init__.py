"""simulagent: simultaneous speech translation and real-time spoken dialogue agents.

Areas (each imported on its own, none of them at `import simulagent`):

- `simulagent.types`: the stream types every area shares (segments, actions, the `StreamingSystem` protocol).
- `simulagent.policies`: READ/WRITE policies (wait-k, LocalAgreement, AlignAtt, StreamSpeech CTC, HMT, DiSeg).
- `simulagent.models`: speech recognition and translation, LLM and TTS backends.
- `simulagent.eval`: SimulEval-compatible latency and quality evaluation.
- `simulagent.verticals`: vertical skills and their plugin API.
- `simulagent.rag`: DeepQA retrieval.
- `simulagent.agent`: the LangGraph voice agent that ties them together.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
