"""Writes the labelled training corpus from the hand-written seeds and templates beside this file.

Real traffic mixes short human questions with long app-generated prompts (coding agents with tool
definitions, character cards with chat history, translation pipelines), in many languages. The
corpus reproduces both: every seed question appears as written and inside the wrappers people put
around questions, and the app-style generators embed seeds and vocabulary in the prompt shapes
those apps send. Everything is drawn from one seeded generator, so the files are reproducible.

Examples are split into ``train`` and ``heldout`` by a hash of their *group* (the seed or the
template draw they came from), so a held-out example never shares its seed with a training one:
held-out scores measure generalisation, not memory of a wrapper.

Run ``python -m tokencensus.classify.corpus.generate`` to rewrite ``train.jsonl`` and
``heldout.jsonl``.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from tokencensus.classify.corpus import Example

HELDOUT_SHARE = 0.2
_LANGUAGES = ("en", "ru", "zh", "other")


def _data(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _merge(base: Any, extra: Any) -> Any:
    """Nested mappings merged key by key, lists concatenated."""
    if isinstance(base, dict) and isinstance(extra, dict):
        return {k: _merge(base[k], extra[k]) if k in base and k in extra else base.get(k, extra.get(k)) for k in {**base, **extra}}
    return base + extra


def _seeds(questions: dict[str, Any]) -> Iterator[tuple[str, str | None, str, str]]:
    """``(label, subcategory, language, text)`` for every seed; sub-categories nest one level."""
    for label, block in questions.items():
        nested = not set(block) <= set(_LANGUAGES)
        for sub, by_language in (block.items() if nested else [(None, block)]):
            for language, texts in by_language.items():
                for text in texts:
                    yield label, sub, language, text


def _split(group: str) -> str:
    digest = int(hashlib.md5(group.encode("utf-8")).hexdigest()[:8], 16)
    return "heldout" if digest / 16**8 < HELDOUT_SHARE else "train"


class _Writer:
    """Collects examples; one random generator makes every draw."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.examples: list[Example] = []

    def add(self, text: str, label: str, sub: str | None, language: str, group: str) -> None:
        self.examples.append(Example(text, label, sub, language, _split(group)))

    def pick(self, options: list[Any]) -> Any:
        return self.rng.choice(options)

    def lang(self, by_language: dict[str, list[Any]]) -> str:
        """A language among those given, weighted towards English like real traffic."""
        weights = {"en": 5, "ru": 3, "zh": 3}
        keys = list(by_language)
        return self.rng.choices(keys, [weights.get(k, 1) for k in keys])[0]


_DOMAINS = ("technology", "science", "health", "finance", "legal", "marketing", "academia")


def _questions(w: _Writer, seeds: list[tuple[str, str | None, str, str]], t: dict[str, Any]) -> None:
    """Each seed as written, in two wrappers, and for domain questions after a persona."""
    for label, sub, language, text in seeds:
        wrappers = t["wrappers"][language]
        w.add(text, label, sub, language, text)
        for wrapper in w.rng.sample(wrappers[1:], k=min(2, len(wrappers) - 1)):
            w.add(wrapper.format(q=text), label, sub, language, text)
        if label in _DOMAINS and language in t["personas"]:
            w.add(f"{w.pick(t['personas'][language])} {text}", label, sub, language, text)


def _coding_agent(w: _Writer, programming: list[tuple[str, str | None, str, str]], t: dict[str, Any], n: int) -> None:
    agent = t["coding_agent"]
    for _ in range(n):
        _, sub, language, task = w.pick(programming)
        tools = w.rng.sample(agent["tools"], k=w.rng.randint(3, len(agent["tools"])))
        if w.rng.random() < 0.5:
            tool_text = "# Tools\n" + "\n".join(f"- {tool}" for tool in tools)
        else:
            tool_text = json.dumps(
                [{"type": "function", "function": {"name": tool.split("(")[0], "description": tool.split(" - ")[1]}}
                 for tool in tools],
                indent=1,
            )
        text = "\n\n".join(
            [w.pick(agent["system"]), tool_text, w.pick(agent["environment"]), f"<task>\n{task}\n</task>"]
        )
        w.add(text, "programming", sub, language, task)


def _debugging(w: _Writer, t: dict[str, Any], n: int) -> None:
    for _ in range(n):
        i = w.rng.randrange(len(t["code_snippets"]))
        language = w.lang(t["debug_asks"])
        ask = w.pick(t["debug_asks"][language])
        parts = [ask, f"```\n{t['code_snippets'][i]}\n```", t["errors"][i]]
        if w.rng.random() < 0.4:
            parts = parts[1:] + parts[:1]
        if w.rng.random() < 0.3:
            parts = [p for p in parts if p is not t["errors"][i]]
        w.add("\n\n".join(parts), "programming", "general", language, f"debug-{i}-{language}")
    for _ in range(n // 3):
        i = w.rng.randrange(len(t["diffs"]))
        language = w.lang(t["review_asks"])
        text = f"{w.pick(t['review_asks'][language])}\n\n```diff\n{t['diffs'][i]}\n```"
        w.add(text, "programming", "development_tools", language, f"review-{i}-{language}")


def _character_cards(w: _Writer, t: dict[str, Any], n: int) -> None:
    c = t["characters"]
    for _ in range(n):
        language = w.lang(c["traits"])
        name = w.pick(c["names"])
        trait, setting = w.pick(c["traits"][language]), w.pick(c["settings"][language])
        nsfw = w.rng.random() < 0.25
        lines = [
            f"{name}'s Persona: {name} is {trait}." if language == "en" else f"{name}: {trait}.",
            f"Scenario: {setting}." if language == "en" else f"{setting}.",
        ]
        if nsfw:
            lines.append(w.pick(c["nsfw_notes"]))
        lines.append("<START>")
        for _ in range(w.rng.randint(1, 3)):
            lines.append(f"{{{{char}}}}: {w.pick(c['char_turns'][language])}")
            lines.append(f"{{{{user}}}}: {w.pick(c['user_turns'][language])}")
        if w.rng.random() < 0.5:
            lines.insert(0, f"Write {name}'s next reply in a fictional roleplay chat between {name} and {{{{user}}}}.")
        sub = "adult" if nsfw else "roleplaying_games"
        w.add("\n".join(lines), "roleplay", sub, language, f"card-{name}-{setting}")
    for _ in range(n // 6):
        language = w.lang(c["traits"])
        name, trait = w.pick(c["names"]), w.pick(c["traits"][language])
        ask = {
            "en": f"Create a detailed character card for {name}, {trait}: personality, appearance, scenario and a first message.",
            "ru": f"Создай карточку персонажа {name} ({trait}): характер, внешность, сценарий и первое сообщение.",
            "zh": f"为{name}（{trait}）写一张角色卡，包括性格、外貌、场景和开场白。",
        }[language]
        w.add(ask, "roleplay", "writers_resources", language, f"cardask-{name}-{trait}")


def _translation(w: _Writer, pool: list[tuple[str, str]], t: dict[str, Any], n: int) -> None:
    tr = t["translation"]
    for _ in range(n):
        language = w.lang(tr["instructions"])
        text_language, text = w.pick(pool)
        instruction = w.pick(tr["instructions"][language])
        target = w.pick(tr["languages"][language])
        w.add(instruction.format(lang=target, text=text), "translation", "other", language, text)
    for _ in range(n // 5):
        system = w.pick(tr["system"]).format(lang=w.pick(tr["languages"]["en"]))
        body = w.pick(tr["json_texts"] if "JSON" in system else tr["subtitles"] if "subtitle" in system else [w.pick(pool)[1]])
        w.add(f"{system}\n\n{body}", "translation", "other", "en", body)


def _filled(w: _Writer, block: dict[str, Any], slots: dict[str, dict[str, list[str]]], label: str, sub: str | None, n: int) -> None:
    """Template x vocabulary draws in the template's language."""
    for _ in range(n):
        language = w.lang(block)
        template = w.pick(block[language])
        values = {slot: w.pick(vocab[language] if isinstance(vocab, dict) else vocab) for slot, vocab in slots.items()}
        text = template.format(**values)
        w.add(text, label, sub, language, f"{label}-{template}-{sorted(values.items())}")


def _adult(w: _Writer, t: dict[str, Any], n: int) -> None:
    a = t["adult"]
    for _ in range(n):
        language = w.lang(a["templates"])
        first, second = w.pick(a["pairs"])
        text = w.pick(a["templates"][language]).format(a=first, b=second)
        w.add(text, "adult", None, language, f"adult-{text}")


def generate(seed: int = 0) -> list[Example]:
    """The whole corpus, deterministic for a given ``seed``."""
    s, t = _merge(_data("seeds.yaml"), _data("seeds_more.yaml")), _data("templates.yaml")
    w = _Writer(seed)
    seeds = list(_seeds(s["questions"]))
    _questions(w, seeds, t)
    _coding_agent(w, [x for x in seeds if x[0] == "programming"], t, 260)
    _debugging(w, t, 150)
    _character_cards(w, t, 300)
    pool = [(x[2], x[3]) for x in seeds if x[0] not in ("translation", "adult")]
    pool += [("xx", p) for p in t["productivity"]["passages"]]
    _translation(w, pool, t, 220)
    creative = t["creative"]
    _filled(w, creative["templates"], {"form": creative["forms"], "topic": creative["topics"]}, "creative_writing", None, 220)
    _adult(w, t, 60)
    productivity = t["productivity"]
    texts = {lang: productivity["passages"] + [x[3] for x in seeds if x[2] == lang and x[0] in _DOMAINS][:40] for lang in ("en", "ru", "zh")}
    _filled(w, productivity["templates"], {"text": texts}, "productivity", None, 220)
    marketing = t["marketing"]
    _filled(w, marketing["templates"], {"p": marketing["products"]}, "marketing", None, 150)
    return w.examples


def write(directory: Path, seed: int = 0) -> dict[str, int]:
    """Write ``train.jsonl`` and ``heldout.jsonl`` into ``directory``; returns counts per split."""
    examples = generate(seed)
    counts: dict[str, int] = {}
    for split in ("train", "heldout"):
        rows = [e for e in examples if e.split == split]
        with open(directory / f"{split}.jsonl", "w", encoding="utf-8") as f:
            for e in rows:
                record = {"text": e.text, "label": e.label, "subcategory": e.subcategory, "language": e.language}
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        counts[split] = len(rows)
    return counts


if __name__ == "__main__":
    print(write(Path(__file__).parent))
