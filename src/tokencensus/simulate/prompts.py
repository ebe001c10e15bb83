"""Prompt text of the simulated prompt log: a prompt of each request's true task, framed as real
traffic frames it.

Why the held-out corpus: its examples carry the label and sub-category a classifier should find,
and the fast classifier is trained on the "train" split only, so classifying these prompts measures
it on text it has not seen. A request's prompt is drawn from the examples of its (label,
sub-category), or of its label where the corpus has none of that sub-category.

Why frames: a logged request is rarely a bare prompt. Coding agents send a preamble, roleplay
front-ends a character frame, translation tools an instruction, chats carry earlier turns, agents
offer tools. ``prompt_frames.yaml`` holds those texts; each is neutral or listed under the one label
it belongs to, and an earlier exchange is another prompt of the same pool, so the messages never
contradict the true label.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import yaml

from tokencensus.classify import corpus
from tokencensus.simulate import calibration as cal

FRAMES_FILE = "prompt_frames.yaml"
#: Languages the frames are written in; a prompt in another language gets the English frame.
LANGUAGES = ("en", "ru", "zh")
Message = dict[str, str]


@dataclass(frozen=True)
class Exchange:
    """One request's conversation: the messages sent, the tools offered and the answer."""

    example: corpus.Example  # the corpus prompt the request is about (its last user message)
    messages: list[Message]
    tools: list[dict[str, Any]]  # OpenAI function tools; empty when the request offered none
    reply: str  # the answer's text when it is not a tool call
    tool_call: dict[str, str] | None  # {"name", "arguments"} when the answer is a tool call


def _by_label(table: dict[str, Any], label: str) -> Any:
    return table.get(label, table["default"])


def _choice(items: list[Any], rng: np.random.Generator) -> Any:
    return items[int(rng.random() * len(items))]  # a float draw costs a tenth of a bounded integer one


@dataclass(frozen=True)
class PromptBook:
    """The corpus examples grouped by (label, sub-category) and by label, and the frames."""

    examples: list[corpus.Example]
    by_leaf: dict[tuple[str, str | None], list[corpus.Example]]
    by_label: dict[str, list[corpus.Example]]
    frames: dict[str, Any]

    @classmethod
    def load(cls, split: str = "heldout") -> PromptBook:
        """The book of a corpus split with the packaged frames; every simulated label must have examples."""
        examples = corpus.load(split)
        by_leaf: dict[tuple[str, str | None], list[corpus.Example]] = {}
        by_label: dict[str, list[corpus.Example]] = {}
        for example in examples:
            by_leaf.setdefault((example.label, example.subcategory), []).append(example)
            by_label.setdefault(example.label, []).append(example)
        missing = [label for label in cal.CATEGORIES if label not in by_label]
        if missing:
            raise ValueError(f"corpus split {split!r} has no prompt for the labels {missing}")
        frames = yaml.safe_load(resources.files(__package__).joinpath(FRAMES_FILE).read_text(encoding="utf-8"))
        return cls(examples, by_leaf, by_label, frames)

    def pool(self, label: str, subcategory: str | None) -> list[corpus.Example]:
        """The prompts a request of this label and sub-category draws from."""
        return self.by_leaf.get((label, subcategory)) or self.by_label[label]

    def draw(self, label: str, subcategory: str | None, tool_call: bool, rng: np.random.Generator) -> Exchange:
        """A request of this task: its prompt, frame and answer (a tool call when ``tool_call``)."""
        pool = self.pool(label, subcategory)
        example = _choice(pool, rng)
        language = example.language if example.language in LANGUAGES else "en"
        messages: list[Message] = []
        system = _by_label(self.frames["system"], label)
        if rng.random() < system["share"]:
            messages.append({"role": "system", "content": _choice(system["texts"][language], rng)})
        if rng.random() < self.frames["history_share"]:
            earlier = _choice(pool, rng)
            messages += [{"role": "user", "content": earlier.text},
                         {"role": "assistant", "content": self._reply(label, earlier.language, rng)}]
        messages.append({"role": "user", "content": example.text})
        tools = self.frames["tools"]
        offered = tool_call or rng.random() < _by_label(tools["offered_share"], label)
        tool_set = _by_label(tools["sets"], label) if offered else []
        call = self._tool_call(_choice(tool_set, rng), example.text, rng) if tool_call else None
        return Exchange(example, messages, [_function(tool) for tool in tool_set],
                        self._reply(label, example.language, rng), call)

    def _reply(self, label: str, language: str, rng: np.random.Generator) -> str:
        return _choice(_by_label(self.frames["replies"], label)[language if language in LANGUAGES else "en"], rng)

    @staticmethod
    def _tool_call(tool: dict[str, Any], prompt: str, rng: np.random.Generator) -> dict[str, str]:
        first_line = (prompt.strip().splitlines() or [""])[0][:100]
        arguments = {k: v.replace("{prompt}", first_line) if isinstance(v, str) else v
                     for k, v in _choice(tool["arguments"], rng).items()}
        return {"name": tool["name"], "arguments": json.dumps(arguments, ensure_ascii=False)}


def _function(tool: dict[str, Any]) -> dict[str, Any]:
    """A tool as the request offers it (the frame's example arguments left out)."""
    return {"type": "function",
            "function": {"name": tool["name"], "description": tool["description"], "parameters": tool["parameters"]}}
