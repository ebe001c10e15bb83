"""Slug normalisation: the spellings one model takes in gateway logs, reduced step by step.

Why: a log names a model however the client, proxy or provider wrote it: an OpenRouter request id
(`anthropic/claude-sonnet-4`), its permaslug (`anthropic/claude-4-sonnet-20250522`), a variant
(`...:free`), a LiteLLM route (`openrouter/anthropic/claude-3.5-sonnet`), a provider's own id
(`claude-sonnet-4-5-20250929`, `gpt-4o-2024-08-06`), a Vertex resource path or a Bedrock ARN.
`candidates` yields progressively normalised forms, the slug as logged first, so that a model whose
own id looks like a stripped form of another (`deepseek-chat-v3-0324`, `deepseek-r1-0528`) is found
before anything is stripped. The catalog looks each candidate up and stops at the first hit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

#: OpenRouter variant suffixes. They select a pricing or serving option of the same model;
#: `:thinking` additionally means the request always reasons.
VARIANTS: frozenset[str] = frozenset(
    {"free", "beta", "thinking", "extended", "nitro", "floor", "online", "exacto"}
)

#: Routing prefixes that gateways and SDKs put before a model name (LiteLLM provider names,
#: OpenTelemetry `gen_ai.system` values). Stripped only when more path follows.
PROVIDER_PREFIXES: frozenset[str] = frozenset(
    {
        "openrouter", "openai", "azure", "azure_ai", "anthropic", "bedrock", "bedrock_converse",
        "vertex_ai", "vertex_ai_beta", "gemini", "google", "mistral", "deepseek", "xai", "groq",
        "together_ai", "fireworks_ai", "deepinfra", "cohere", "cohere_chat", "perplexity",
        "huggingface", "ollama", "ollama_chat", "hosted_vllm", "vllm", "nvidia_nim", "cerebras",
        "sambanova", "novita", "nebius", "databricks", "watsonx", "sagemaker", "replicate",
        "dashscope", "moonshot", "litellm_proxy", "github", "friendliai", "lm_studio",
    }
)

# One or more known variants, or a Bedrock model version (`:0`), at the end.
_VARIANT_RE = re.compile(r"(?::(?:%s|\d+))+$" % "|".join(sorted(VARIANTS)))
# A Bedrock model id: optional cross-region prefix, vendor, model (`us.anthropic.claude-...`).
_BEDROCK_RE = re.compile(r"^(?:(?:us|eu|apac|au|ca|jp|us-gov|global)\.)?[a-z][a-z-]*\.(?=[a-z])")
_BEDROCK_VERSION_RE = re.compile(r"-v\d+$")
# Date or snapshot suffixes: -20250522, -2025-04-14, -09-2025, -07-25, -0324, -2501.
_DATE_RE = re.compile(r"-(?:\d{8}|\d{4}-\d{2}-\d{2}|\d{2}-\d{4}|\d{2}-\d{2}|\d{4})$")
# Version numbers written with a dash by first-party APIs: claude-3-7-sonnet -> claude-3.7-sonnet.
_DASH_VERSION_RE = re.compile(r"(?<=-)(\d)-(\d)(?=-|$)")
# Tokens that name a packaging of the same weights rather than another model.
_LOOSE_RE = re.compile(r"-(?:instruct|it)(?=-|$)|-0\d\d$")


def clean(slug: str) -> str:
    """Lower-case and trim: slugs are case-insensitive."""
    return slug.strip().lower()


def split_variant(slug: str) -> tuple[str, tuple[str, ...]]:
    """Split `model:free:thinking` into the model slug and its known variant names."""
    s = clean(slug)
    match = _VARIANT_RE.search(s)
    if match is None:
        return s, ()
    parts = match.group(0).split(":")[1:]
    return s[: match.start()], tuple(p for p in parts if p in VARIANTS)


def is_thinking_variant(slug: str) -> bool:
    """True for `:thinking` variants, which always reason whatever the model's catalog flag."""
    return "thinking" in split_variant(slug)[1]


def tail(slug: str) -> str:
    """The model part of `author/model` (the bare name as OpenAI-style APIs log it)."""
    return slug.rsplit("/", 1)[-1]


def strip_date(slug: str) -> str:
    """Drop one trailing date or snapshot suffix, if any."""
    return _DATE_RE.sub("", slug)


def loosen(slug: str) -> str:
    """Drop packaging tokens (`-instruct`, `-it`, `-001`) so both sides of a lookup agree."""
    return _LOOSE_RE.sub("", slug)


def dash_version(slug: str) -> str:
    """Write dash-separated version numbers with a dot, as OpenRouter ids do."""
    return _DASH_VERSION_RE.sub(r"\1.\2", slug)


def _unwrap(slug: str) -> Iterator[str]:
    """Yield the slug with routing layers peeled off one at a time."""
    s = slug
    while True:
        if s.startswith("arn:") or "/models/" in s:
            s = tail(s)  # Bedrock ARN or Vertex resource path: the model is the last segment
        else:
            head, sep, rest = s.partition("/")
            if not (sep and rest and head in PROVIDER_PREFIXES):
                return
            s = rest
        yield s


def candidates(slug: str) -> Iterator[str]:
    """Yield lookup keys for `slug`, most literal first; each differs from the one before."""
    s = clean(slug)
    yield s
    base, _ = split_variant(s)
    if base != s:
        s = base
        yield s
    for s in _unwrap(s):
        yield s
    bedrock = _BEDROCK_RE.match(s) if "/" not in s else None
    if bedrock:
        s = s[bedrock.end() :]
        yield s
        if _BEDROCK_VERSION_RE.search(s):
            s = _BEDROCK_VERSION_RE.sub("", s)
            yield s
    for transform in (strip_date, dash_version):
        changed = transform(s)
        if changed != s:
            s = changed
            yield s
