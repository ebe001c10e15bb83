"""Writes the labelled training corpus from the hand-written seeds and templates beside this file.

Real traffic mixes short human questions with long app-generated prompts (coding agents with tool
definitions, character cards with chat history, translation pipelines), in many languages. The
corpus reproduces both: every seed question appears as written, inside the wrappers people put
around questions and typed carelessly, and the app-style generators embed seeds and vocabulary in
the prompt shapes those apps send. Everything is drawn from one seeded generator, so the files are
reproducible.

Every ``seeds*.yaml`` file is merged into one set of questions and every ``templates*.yaml`` into
one set of templates, so a language is added by dropping in files. Any language code is accepted:
a per-language template block falls back to its ``neutral`` entry, or the generator draws among
the languages the block has.

Examples are split into ``train`` and ``heldout`` by a hash of their *group* (the seed or the
template draw they came from), so a held-out example never shares its seed with a training one:
held-out scores measure generalisation, not memory of a wrapper.

Run ``python -m tokencensus.classify.corpus.generate`` to rewrite ``train.jsonl`` and
``heldout.jsonl``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from tokencensus.classify.classifier import truncate
from tokencensus.classify.corpus import Example

HELDOUT_SHARE = 0.2
#: Key of a per-language template block used for languages that have no entry of their own.
NEUTRAL = "neutral"
#: How often a language is drawn relative to others (unlisted: 1); English dominates real traffic.
_LANGUAGE_WEIGHTS = {"en": 6, "ru": 2, "zh": 2}
_DOMAINS = ("technology", "science", "health", "finance", "legal", "marketing", "academia")
#: Labels whose seeds make good "text to work on" for translation and editing requests.
_CONTENT_LABELS = (*_DOMAINS, "trivia", "other", "productivity", "programming", "creative_writing", "roleplay")
#: Share of seeds that also appear typed carelessly (lower case, no accents, typos).
_MESSY_SHARE = 0.35

Templates = dict[str, Any]


class Seed(NamedTuple):
    """One hand-written request."""

    label: str
    sub: str | None
    language: str
    text: str


# --- loading -----------------------------------------------------------------------------------


def _data(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text) or {}


def _merge(base: Any, extra: Any) -> Any:
    """Nested mappings merged key by key, lists concatenated."""
    if isinstance(base, dict) and isinstance(extra, dict):
        return {k: _merge(base[k], extra[k]) if k in base and k in extra else base.get(k, extra.get(k)) for k in {**base, **extra}}
    return base + extra


def _merged(prefix: str) -> dict[str, Any]:
    """Every ``<prefix>*.yaml`` of this folder merged, in file-name order."""
    names = sorted(
        entry.name for entry in resources.files(__package__).iterdir()
        if entry.name.startswith(prefix) and entry.name.endswith(".yaml")
    )
    return functools.reduce(_merge, (_data(name) for name in names), {})


def _seeds(questions: dict[str, Any]) -> Iterator[Seed]:
    """Every seed; a label's block is ``language: [texts]`` or ``sub: language: [texts]``."""
    for label, block in questions.items():
        nested = all(isinstance(value, dict) for value in block.values())
        for sub, by_language in (block.items() if nested else [(None, block)]):
            for language, texts in by_language.items():
                for text in texts:
                    yield Seed(label, sub, str(language), text)


def _split(group: str) -> str:
    digest = int(hashlib.md5(group.encode("utf-8")).hexdigest()[:8], 16)
    return "heldout" if digest / 16**8 < HELDOUT_SHARE else "train"


def _in(block: dict[str, Any], language: str) -> Any:
    """A per-language block's entry for ``language``, or its neutral one."""
    return block[language] if language in block else block[NEUTRAL]


# --- drawing -----------------------------------------------------------------------------------


class _Writer:
    """Collects examples; one random generator makes every draw."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.examples: list[Example] = []
        self._seen: set[str] = set()

    def add(self, text: str, label: str, sub: str | None, language: str, group: str) -> None:
        """Stored as the prompts table stores text (head and tail of a long prompt), each text once."""
        text = truncate(text)
        if text not in self._seen:
            self._seen.add(text)
            self.examples.append(Example(text, label, sub, language, _split(group)))

    def pick(self, options: Sequence[Any]) -> Any:
        return self.rng.choice(options)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def lang(self, languages: Any) -> str:
        """A language among ``languages`` (a sequence, or a block's keys), weighted like real traffic."""
        keys = [k for k in languages if k != NEUTRAL]
        return self.rng.choices(keys, [_LANGUAGE_WEIGHTS.get(k, 1) for k in keys])[0]


def _latin(text: str) -> bool:
    return all(not c.isalpha() or "LATIN" in unicodedata.name(c, "") for c in text)


def _messy(rng: random.Random, text: str) -> str:
    """The text as typed in a hurry: lower case, accents and final punctuation dropped, a typo."""
    out = text.lower() if rng.random() < 0.8 else text
    if _latin(out) and rng.random() < 0.5:
        out = "".join(c for c in unicodedata.normalize("NFD", out) if not unicodedata.combining(c))
    words = out.rstrip("?.!。？！ ").split(" ")
    for _ in range(rng.randint(0, 2)):
        i = rng.randrange(len(words))
        word = words[i]
        if len(word) > 3:
            j = rng.randrange(1, len(word) - 2)
            typos = (word[:j] + word[j + 1 :], word[:j] + word[j + 1] + word[j] + word[j + 2 :], word[:j] + word[j] + word[j:])
            words[i] = rng.choice(typos)
    return " ".join(words)


# --- plain requests ----------------------------------------------------------------------------


def _questions(w: _Writer, seeds: list[Seed], t: Templates) -> None:
    """Each seed as written, in two wrappers, typed carelessly, and for domain questions after a persona."""
    for s in seeds:
        w.add(s.text, s.label, s.sub, s.language, s.text)
        wrappers = _in(t["wrappers"], s.language)
        for wrapper in w.rng.sample(wrappers, k=min(2, len(wrappers))):
            w.add(wrapper.format(q=s.text), s.label, s.sub, s.language, s.text)
        if w.chance(_MESSY_SHARE):
            w.add(_messy(w.rng, s.text), s.label, s.sub, s.language, s.text)
        if s.label in _DOMAINS and s.language in t["personas"]:
            w.add(f"{w.pick(t['personas'][s.language])} {s.text}", s.label, s.sub, s.language, s.text)


def _filled(w: _Writer, block: dict[str, list[str]], slots: dict[str, Callable[[str], str]], label: str, sub: str | None, n: int) -> None:
    """Template x vocabulary draws in the template's language; each slot draws its own value."""
    for _ in range(n):
        language = w.lang(block)
        template = w.pick(block[language])
        values = {slot: draw(language) for slot, draw in slots.items() if f"{{{slot}}}" in template}
        w.add(template.format(**values), label, sub, language, f"{label}-{template}-{sorted(values.items())}")


class _Content:
    """Texts to translate, edit or continue, by language: seeds of content labels, and statements.

    Statements (passages, story openings, characters' lines and narration) are what documents are
    made of; seeds are mostly questions. Statements count three times, as they are fewer.
    """

    def __init__(self, w: _Writer, seeds: list[Seed], t: Templates) -> None:
        self.w = w
        self.by_language: dict[str, list[str]] = {}
        for s in seeds:
            if s.label in _CONTENT_LABELS:
                self.by_language.setdefault(s.language, []).append(s.text)
        blocks = [t["passages"], t["creative"]["openings"], *(t["roleplay"][key] for key in ("char_lines", "narration", "backstories"))]
        for block in blocks:
            for language, texts in block.items():
                if language != NEUTRAL:
                    self.by_language.setdefault(language, []).extend(texts * 3)

    def text(self, language: str | None = None, joined: float = 0.3) -> tuple[str, str]:
        """``(language, text)``: one passage or seed, or (share ``joined``) a document of several run together."""
        language = language if language in self.by_language else self.w.lang(self.by_language)
        pool = self.by_language[language]
        if self.w.chance(joined):
            parts = self.w.rng.sample(pool, k=min(len(pool), self.w.rng.randint(2, 16)))
            return language, self.w.pick([" ", "\n", "\n\n"]).join(parts)
        return language, self.w.pick(pool)


# --- programming -------------------------------------------------------------------------------


def _tool_text(w: _Writer, tools: dict[str, Any]) -> str:
    """Tool definitions as coding agents send them: JSON schema, XML usage docs or a list."""
    names = w.rng.sample(list(tools), k=w.rng.randint(3, len(tools)))
    style = w.rng.randrange(3)
    if style == 0:
        return json.dumps([
            {"type": "function", "function": {"name": name, "description": tools[name]["description"], "parameters": {
                "type": "object",
                "properties": {p: {"type": "string", "description": d} for p, d in tools[name]["parameters"].items()},
                "required": list(tools[name]["parameters"])[:1],
            }}} for name in names
        ], indent=w.pick([None, 1, 2]), ensure_ascii=False)
    if style == 1:
        blocks = []
        for name in names:
            params = "\n".join(
                f"- {p}: ({'required' if i == 0 else 'optional'}) {d}" for i, (p, d) in enumerate(tools[name]["parameters"].items())
            )
            usage = "\n".join(f"<{p}>{p} here</{p}>" for p in tools[name]["parameters"])
            blocks.append(f"## {name}\nDescription: {tools[name]['description']}\nParameters:\n{params}\nUsage:\n<{name}>\n{usage}\n</{name}>")
        return "# Tools\n\n" + "\n\n".join(blocks)
    return "Available tools:\n" + "\n".join(f"- {name}({', '.join(tools[name]['parameters'])}): {tools[name]['description']}" for name in names)


def _coding_agent(w: _Writer, tasks: list[Seed], t: Templates, n: int) -> None:
    """Agent prompts: system prompt, tools, environment, maybe a file, the task, maybe a tool round-trip."""
    c = t["coding"]
    for _ in range(n):
        task = w.pick(tasks)
        parts = [w.pick(c["system"]), _tool_text(w, c["tools"])]
        if w.chance(0.3):
            parts.append(w.pick(c["rules"]))
        environment = w.pick(c["environments"])
        parts.append(f"<environment_details>\n{environment}\n{w.pick(c['file_trees'])}\n</environment_details>")
        code = w.pick(c["files"])
        if w.chance(0.4):
            parts.append(f"<file path=\"{code['path']}\">\n{code['code']}\n</file>")
        parts.append(w.pick(["<task>\n{}\n</task>", "{}", "User: {}", "<user_query>\n{}\n</user_query>"]).format(task.text))
        if w.chance(0.35):
            call = w.pick(c["tool_calls"]).format(path=code["path"])
            parts += [f"Assistant: {call}", f"[Tool result]\n{w.pick(c['tool_results'] + [code['code']])}"]
        w.add("\n\n".join(parts), "programming", task.sub or "general", task.language, f"agent-{task.text}")


def _code_questions(w: _Writer, tasks: list[Seed], t: Templates, n: int) -> None:
    """Code plus a question about it: broken code and its error, pasted files, IDE chat, diffs to review."""
    c = t["coding"]
    for _ in range(n // 2):
        task = w.pick(tasks)
        files = w.rng.sample(c["files"], k=w.rng.randint(1, 3))
        pasted = "\n\n".join(w.pick(["{path}:\n```\n{code}\n```", "// {path}\n{code}", "```\n{code}\n```"]).format(**f) for f in files)
        text = f"{pasted}\n\n{task.text}" if w.chance(0.6) else f"{task.text}\n\n{pasted}"
        w.add(text, "programming", task.sub or "general", task.language, f"paste-{task.text}")
    for _ in range(n):
        i = w.rng.randrange(len(c["snippets"]))
        snippet = c["snippets"][i]
        language = w.lang(c["debug_asks"])
        parts = [w.pick(c["debug_asks"][language]), f"```\n{snippet['code']}\n```"]
        if w.chance(0.7):
            parts.append(snippet["error"])
        if w.chance(0.4):
            parts = parts[1:] + parts[:1]
        if w.chance(0.3):
            parts.insert(0, w.pick(c["ide_system"]))
        w.add("\n\n".join(parts), "programming", "general", language, f"debug-{i}-{language}")
    for _ in range(n // 2):
        i = w.rng.randrange(len(c["diffs"]))
        language = w.lang(c["review_asks"])
        ask = w.pick(c["review_asks"][language])
        text = f"{ask}\n\n```diff\n{c['diffs'][i]}\n```" if w.chance(0.7) else f"{c['diffs'][i]}\n\n{ask}"
        w.add(text, "programming", "development_tools", language, f"review-{i}-{language}")


# --- roleplay ----------------------------------------------------------------------------------


class _Cast:
    """A language's roleplay vocabulary, and the character and user turns drawn from it.

    Users in character chats also chat about anything (``small_talk``: the language's seeds of
    label ``other``); the card around them still makes the prompt roleplay.
    """

    def __init__(self, w: _Writer, r: Templates, language: str, small_talk: dict[str, list[str]]) -> None:
        self.w, self.r, self.language = w, r, language
        self.small_talk = small_talk.get(language, [])

    def get(self, key: str) -> list[str]:
        return _in(self.r[key], self.language)

    def char_turn(self) -> str:
        w = self.w
        segments = []
        for _ in range(w.pick([1, 1, 2, 3])):
            line = w.pick(self.get("char_lines"))
            segments.append(f"*{w.pick(self.get('actions'))}* {line}" if w.chance(0.8) else line)
        if w.chance(0.3):
            segments.append(f"*{w.pick(self.get('actions'))}*")
        return " ".join(segments)

    def user_turn(self) -> str:
        w = self.w
        if self.small_talk and w.chance(0.15):
            return w.pick(self.small_talk)
        line = w.pick(self.get("user_lines"))
        return f"*{w.pick(self.get('user_actions'))}* {line}" if w.chance(0.5) else line


def _history(w: _Writer, cast: _Cast, char: str, user: str, turns: int) -> list[str]:
    lines = []
    for _ in range(turns):
        lines.append(f"{char}: {cast.char_turn()}")
        lines.append(f"{user}: {cast.user_turn()}")
    return lines


def _character_chat(w: _Writer, t: Templates, small_talk: dict[str, list[str]], n: int) -> None:
    """SillyTavern-style prompts: instruction, card, example dialogue, chat history, maybe a system note."""
    r = t["roleplay"]
    for _ in range(n):
        language = w.lang(r["traits"])
        cast = _Cast(w, r, language, small_talk)
        name = w.pick(cast.get("names"))
        fields = cast.get("fields")
        macros = w.chance(0.5)
        char, user = ("{{char}}", "{{user}}") if macros else (name, w.pick(cast.get("user_names")))
        nsfw = w.chance(0.2)
        instruction_language = language if w.chance(0.5) else "en"
        lines = [w.pick(_in(r["system"], instruction_language))]
        story = w.rng.sample(cast.get("backstories"), k=w.rng.randint(1, 2)) + w.rng.sample(cast.get("appearance"), k=w.rng.randint(0, 2))
        lines.append(f"{fields['description']}: {name}, {w.pick(cast.get('traits'))}. {' '.join(story)}")
        if w.chance(0.6):
            lines.append(f"{fields['personality']}: {', '.join(w.rng.sample(cast.get('personality'), k=3))}")
        lines.append(f"{fields['scenario']}: {w.pick(cast.get('settings'))}")
        if w.chance(0.3):
            lines.append(w.pick(cast.get("lore")))
        if nsfw:
            lines.append(w.pick(r["nsfw_notes"]))
        if w.chance(0.5):
            lines += ["<START>", *_history(w, cast, char, user, 1)]
        lines.append("<START>" if w.chance(0.5) else "")
        lines += _history(w, cast, char, user, w.pick([1, 2, 3, 5, 8, 14]))
        if w.chance(0.3):
            lines.append(w.pick(r["post_notes"]))
        elif w.chance(0.4):
            lines.append(f"{char}:")
        text = "\n".join(lines)
        if not macros:  # the front-end already substituted its macros
            text = text.replace("{{char}}", name).replace("{{user}}", user)
        w.add(text, "roleplay", "adult" if nsfw else "roleplaying_games", language, f"chat-{name}-{lines[1]}")


def _companion_chat(w: _Writer, t: Templates, small_talk: dict[str, list[str]], n: int) -> None:
    """Character-app prompts: "you are X" in the chat's language, then turns as messages."""
    r = t["roleplay"]
    for _ in range(n):
        language = w.lang(r["traits"])
        cast = _Cast(w, r, language, small_talk)
        name = w.pick(cast.get("names"))
        intro = w.pick(cast.get("you_are")).format(name=name, trait=w.pick(cast.get("traits")), setting=w.pick(cast.get("settings")))
        lines = [intro, ""]
        for _ in range(w.pick([1, 2, 4, 7])):
            lines += [f"assistant: {cast.char_turn()}", f"user: {cast.user_turn()}"]
        if w.chance(0.5):
            lines = lines[:2] + lines[3:]  # history opens with the user
        w.add("\n".join(lines), "roleplay", "roleplaying_games", language, f"companion-{name}-{intro}")


def _group_chat(w: _Writer, t: Templates, small_talk: dict[str, list[str]], n: int) -> None:
    """Group chats: several characters, one asked to speak next."""
    r = t["roleplay"]
    for _ in range(n):
        language = w.lang(r["traits"])
        cast = _Cast(w, r, language, small_talk)
        names = w.rng.sample(cast.get("names"), k=3)
        user = w.pick(cast.get("user_names"))
        lines = [w.pick(cast.get("group")).format(names=", ".join(names), name=names[-1])]
        for name in names:
            lines.append(f"[{name}: {w.pick(cast.get('traits'))}]")
        lines.append(f"{cast.get('fields')['scenario']}: {w.pick(cast.get('settings'))}")
        for _ in range(w.rng.randint(2, 8)):
            speaker = w.pick([*names, user, user])
            lines.append(f"{speaker}: {cast.user_turn() if speaker == user else cast.char_turn()}")
        lines.append(f"{names[-1]}:")
        w.add("\n".join(lines), "roleplay", "roleplaying_games", language, f"group-{names}-{lines[0]}")


def _game_master(w: _Writer, t: Templates, small_talk: dict[str, list[str]], n: int) -> None:
    """Text adventures: a game-master system prompt, narration, player commands, a status block."""
    r = t["roleplay"]
    for _ in range(n):
        language = w.lang(r["game_master"])
        cast = _Cast(w, r, language, small_talk)
        lines = [w.pick(cast.get("game_master")).format(setting=w.pick(cast.get("settings"))), ""]
        for _ in range(w.rng.randint(1, 6)):
            lines.append(w.pick(cast.get("narration")))
            lines.append(f"> {w.pick(cast.get('commands'))}")
        if w.chance(0.5):
            lines.append(w.pick(cast.get("status")))
        w.add("\n".join(lines), "roleplay", "roleplaying_games", language, f"gm-{lines[0]}-{lines[2]}")


def _card_requests(w: _Writer, t: Templates, small_talk: dict[str, list[str]], n: int) -> None:
    """Asking for a character card or persona to play with: roleplay's writers' resources."""
    r = t["roleplay"]
    for _ in range(n):
        language = w.lang(r["card_asks"])
        cast = _Cast(w, r, language, small_talk)
        name, trait = w.pick(cast.get("names")), w.pick(cast.get("traits"))
        ask = w.pick(r["card_asks"][language]).format(name=name, trait=trait, setting=w.pick(cast.get("settings")))
        w.add(ask, "roleplay", "writers_resources", language, f"cardask-{ask}")


# --- translation -------------------------------------------------------------------------------


def _pair(w: _Writer, content: _Content, language: str, names: dict[str, dict[str, str]], joined: float) -> tuple[str, str, str]:
    """``(source, text, target name)`` for a request written in ``language``, mixed like real requests.

    Most people translate their own language's text into English, or a foreign (mostly English)
    text into their own language; the rest is any pair.
    """
    draw = w.rng.random()
    wanted = language if draw < 0.6 else "en" if draw < 0.85 else None
    if language == "en" and draw >= 0.5:
        wanted = None
    source, text = content.text(wanted, joined=joined)
    return source, text, _target(w, _in(names, language), language, source)


def _target(w: _Writer, known: dict[str, str], language: str, source: str) -> str:
    """The target's name as ``language`` writes it: its own language for a foreign text, else mostly English."""
    if source != language and language in known and w.chance(0.6):
        code = language
    elif source != "en" and "en" in known and w.chance(0.7):
        code = "en"
    else:
        code = w.pick([c for c in known if c != source] or list(known))
    return known[code]


def _translation_requests(w: _Writer, content: _Content, t: Templates, n: int) -> None:
    """An instruction in one language, a text, a target language named in the instruction's language."""
    tr = t["translation"]
    for _ in range(n):
        language = w.lang(tr["instructions"])
        _, text, target = _pair(w, content, language, t["language_names"], joined=0.45)
        instruction = w.pick(tr["instructions"][language])
        w.add(instruction.format(lang=target, text=text), "translation", "other", language, f"tr-{text}")


def _translated_seeds(w: _Writer, seeds: list[Seed], t: Templates, share: float) -> None:
    """Seeds of content labels inside a translation request of their own language: the same words
    labelled by their topic when asked and as translation when handed over to translate."""
    tr = t["translation"]
    for s in seeds:
        if s.label in _CONTENT_LABELS and s.language in tr["instructions"] and w.chance(share):
            target = _target(w, _in(t["language_names"], s.language), s.language, s.language)
            request = w.pick(tr["instructions"][s.language]).format(lang=target, text=s.text)
            w.add(request, "translation", "other", s.language, f"trs-{s.text}")


def _segments(w: _Writer, content: _Content, language: str) -> list[str]:
    pool = content.by_language[language]
    return w.rng.sample(pool, k=min(len(pool), w.rng.randint(2, 12)))


def _translation_pipelines(w: _Writer, content: _Content, t: Templates, n: int) -> None:
    """Machine-translation pipelines: a system prompt, then JSON, subtitles, PO files or numbered lines."""
    tr, names = t["translation"], t["language_names"]
    for _ in range(n):
        prompt_language = w.lang(tr["pipelines"])
        source, _, target = _pair(w, content, prompt_language, names, joined=0.0)
        segments = _segments(w, content, source)
        style = w.rng.randrange(5)
        if style == 0:
            body = json.dumps({f"{w.pick(tr['keys'])}_{i}": s for i, s in enumerate(segments)}, ensure_ascii=False, indent=w.pick([None, 2]))
        elif style == 1:
            body = "\n\n".join(f"{i + 1}\n00:{i:02d}:0{i % 10},000 --> 00:{i:02d}:1{i % 10},500\n{s}" for i, s in enumerate(segments))
        elif style == 2:
            body = "\n\n".join(f'msgid "{s}"\nmsgstr ""' for s in segments)
        elif style == 3:
            body = "\n".join(f"<string name=\"{w.pick(tr['keys'])}_{i}\">{s}</string>" for i, s in enumerate(segments))
        else:
            body = "\n".join(f"{i + 1}. {s}" for i, s in enumerate(segments))
        system = w.pick(tr["pipelines"][prompt_language]).format(lang=target, code=w.pick(tr["codes"]))
        text = f"{system}\n\n{body}" if w.chance(0.8) else f"{body}\n\n{system}"
        w.add(text, "translation", "other", prompt_language, f"pipe-{body}")


def _language_questions(w: _Writer, t: Templates, n: int) -> None:
    """What a phrase means or how to say it in another language: foreign-language resources."""
    tr, names = t["translation"], t["language_names"]
    for _ in range(n):
        language = w.lang(tr["meaning"])
        phrase_language = w.lang(tr["phrases"])
        phrase = w.pick(tr["phrases"][phrase_language])
        target = _target(w, _in(names, language), language, phrase_language)
        ask = w.pick(tr["meaning"][language]).format(phrase=phrase, lang=target)
        w.add(ask, "translation", "foreign_language_resources", language, f"meaning-{phrase}")


# --- other generators --------------------------------------------------------------------------


def _adult(w: _Writer, t: Templates, n: int) -> None:
    a = t["adult"]
    for _ in range(n):
        language = w.lang(a["templates"])
        first, second = w.pick(_in(a["pairs"], language))
        text = w.pick(a["templates"][language]).format(a=first, b=second)
        w.add(text, "adult", None, language, f"adult-{text}")


def generate(seed: int = 0) -> list[Example]:
    """The whole corpus, deterministic for a given ``seed``."""
    s, t = _merged("seeds"), _merged("templates")
    w = _Writer(seed)
    seeds = list(_seeds(s["questions"]))
    _questions(w, seeds, t)
    tasks = [x for x in seeds if x.label == "programming"]
    agent_tasks = [Seed("programming", "general", lang, task) for lang, texts in t["coding"]["tasks"].items() for task in texts]
    _coding_agent(w, tasks + agent_tasks, t, 900)
    _code_questions(w, tasks, t, 500)
    small_talk: dict[str, list[str]] = {}
    for x in seeds:
        if x.label == "other":
            small_talk.setdefault(x.language, []).append(x.text)
    _character_chat(w, t, small_talk, 900)
    _companion_chat(w, t, small_talk, 300)
    _group_chat(w, t, small_talk, 150)
    _game_master(w, t, small_talk, 200)
    _card_requests(w, t, small_talk, 150)
    content = _Content(w, seeds, t)
    _translation_requests(w, content, t, 4000)
    _translated_seeds(w, seeds, t, 0.3)
    _translation_pipelines(w, content, t, 300)
    _language_questions(w, t, 200)

    def topic(block: dict[str, list[str]]) -> Callable[[str], str]:
        return lambda language: w.pick(_in(block, language))

    def text(language: str) -> str:
        """Mostly a passage of the request's language; sometimes a seed, or another language's text."""
        if w.chance(0.6):
            return w.pick(_in(t["passages"], language if language in t["passages"] and w.chance(0.8) else "en"))
        return content.text(language if w.chance(0.8) else None, joined=0.0)[1]

    creative, productivity, academia, marketing = t["creative"], t["productivity"], t["academia"], t["marketing"]
    story_slots = {"form": topic(creative["forms"]), "topic": topic(creative["topics"]), "opening": topic(creative["openings"])}
    _filled(w, creative["templates"], story_slots, "creative_writing", None, 600)
    _filled(w, productivity["templates"], {"text": text}, "productivity", None, 900)
    _filled(w, academia["templates"], {"topic": topic(academia["topics"]), "text": text}, "academia", None, 500)
    _filled(w, marketing["templates"], {"p": topic(marketing["products"])}, "marketing", None, 400)
    _adult(w, t, 200)
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
