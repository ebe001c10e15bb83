"""A synthetic LLM gateway world calibrated to the State of AI study, written as real log files.

``simulate(out_dir, requests=..., seed=...)`` writes OpenRouter Activity CSV exports month by month,
the account table (billing countries), the ground-truth task labels and truth.json, which holds the
numbers the study must find in those logs, and a prompt log: the prompts of a hash sample of the
requests as OpenAI request/response pairs, for the study to classify.
"""

from tokencensus.simulate.world import SimulationResult, simulate

__all__ = ["SimulationResult", "simulate"]
