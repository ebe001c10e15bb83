"""The simulated world's facts and the knobs that calibrate it to the published study.

Why a module of plain data: every number that shapes the synthetic traffic lives here, next to the
published target it serves (``TARGETS``), so a reader can see what was tuned and against what.
The model rows name the catalog models the world serves, the canonical permaslug written to the
log, the first day of traffic and each model's popularity; everything else about a model comes from
the package catalog (a test checks the ids, slugs and dates against it).

Curves are piecewise-linear in time over ``KNOTS``. Token mixes are token-weighted (the study's
view); the planner turns them into request mixes by dividing by the expected tokens per request.
"""

from __future__ import annotations

from typing import NamedTuple


class ModelSpec(NamedTuple):
    """A model of the simulated world; author, openness, origin, reasoning flag and list prices
    come from the package catalog."""

    model_id: str  # the catalog's id (OpenRouter request slug)
    canonical: str  # permaslug written to the log ("" = same as the id)
    released: str  # first day of traffic (never before the catalog's release date)
    weight: float = 1.0  # popularity inside its author's line-up (open and closed apart)
    half_life: float = 150.0  # days for a model's pull to halve once newer ones arrive


#: Model weights include a price tilt: inside a line-up, popularity falls with price, so each
#: weight below is a base popularity times (blended price / the line-up's median) ** -0.85, the
#: blended price being (3 input + 1 output) / 4 per 1M tokens from the catalog. Cheap models
#: (Flash, mini, gpt-oss) carry the volume and premium ones (Opus, o1) little, which gives the
#: cross-sectional price elasticity the report's slightly negative slope (about -0.05) and the
#: categories a median effective cost near its $0.73.
M = ModelSpec
MODELS: tuple[ModelSpec, ...] = (
    # closed, rest of world
    M("anthropic/claude-3.5-sonnet", "", "2024-06-20", 3.0, 90),
    M("anthropic/claude-3.5-haiku", "anthropic/claude-3-5-haiku", "2024-11-04", 1.8),
    M("anthropic/claude-3.7-sonnet", "anthropic/claude-3-7-sonnet-20250219", "2025-02-24", 3.0, 90),
    M("anthropic/claude-sonnet-4", "anthropic/claude-4-sonnet-20250522", "2025-05-22", 4.0, 400),
    M("anthropic/claude-opus-4", "anthropic/claude-4-opus-20250522", "2025-05-22", 0.13, 60),
    M("anthropic/claude-opus-4.1", "anthropic/claude-4.1-opus-20250805", "2025-08-05", 0.15),
    M("anthropic/claude-sonnet-4.5", "anthropic/claude-4.5-sonnet-20250929", "2025-09-29", 3.0),
    M("anthropic/claude-haiku-4.5", "anthropic/claude-4.5-haiku-20251001", "2025-10-15", 2.0),
    M("anthropic/claude-opus-4.5", "anthropic/claude-4.5-opus-20251124", "2025-11-24", 0.97),
    M("openai/gpt-4o", "", "2024-05-13", 1.6, 120),
    M("openai/gpt-4o-mini", "", "2024-07-18", 27.0, 300),
    M("openai/o1-mini", "", "2024-09-12", 0.16, 60),
    M("openai/o1", "openai/o1-2024-12-17", "2024-12-17", 0.0089, 60),
    M("openai/o3-mini", "openai/o3-mini-2025-01-31", "2025-01-31", 1.3, 90),
    M("openai/gpt-4.1", "openai/gpt-4.1-2025-04-14", "2025-04-14", 1.5),
    M("openai/gpt-4.1-mini", "openai/gpt-4.1-mini-2025-04-14", "2025-04-14", 3.9),
    M("openai/o3", "openai/o3-2025-04-16", "2025-04-16", 0.59),
    M("openai/o4-mini", "openai/o4-mini-2025-04-16", "2025-04-16", 1.6),
    M("openai/gpt-5", "openai/gpt-5-2025-08-07", "2025-08-07", 3.0),
    M("openai/gpt-5-mini", "openai/gpt-5-mini-2025-08-07", "2025-08-07", 5.9),
    M("openai/gpt-5-codex", "", "2025-09-23", 1.5),
    M("openai/gpt-5.1", "openai/gpt-5.1-20251113", "2025-11-13", 3.0),
    M("google/gemini-flash-1.5", "", "2024-05-14", 3.8, 60),
    M("google/gemini-2.0-flash-001", "", "2025-02-05", 4.0, 300),
    M("google/gemini-2.0-flash-lite-001", "", "2025-02-25", 1.3),
    M("google/gemini-2.5-pro", "", "2025-06-17", 2.0, 400),  # tilted less: a foundational cohort
    M("google/gemini-2.5-flash", "", "2025-06-17", 1.0, 400),
    M("google/gemini-2.5-flash-lite", "", "2025-07-22", 1.0),
    M("google/gemini-3-pro-preview", "", "2025-11-18", 0.25),
    M("x-ai/grok-2-1212", "", "2024-12-12", 0.62, 60),
    M("x-ai/grok-3", "", "2025-04-09", 0.44, 90),
    M("x-ai/grok-3-mini", "", "2025-04-09", 4.9, 90),
    M("x-ai/grok-4", "x-ai/grok-4-07-09", "2025-07-09", 0.44),
    M("x-ai/grok-code-fast-1", "", "2025-08-26", 14.0),
    M("x-ai/grok-4-fast", "", "2025-09-19", 12.0),
    M("mistralai/mistral-medium-3", "", "2025-05-07", 1.0),
    M("amazon/nova-lite-v1", "", "2024-12-03", 1.0),
    # closed, China
    M("qwen/qwen-max", "qwen/qwen-max-2025-01-25", "2025-02-01", 0.94),
    M("qwen/qwen3-max", "", "2025-09-05", 1.1),
    # open weights, China
    M("qwen/qwen-2.5-72b-instruct", "", "2024-09-19", 1.9, 120),
    M("qwen/qwen-2.5-coder-32b-instruct", "", "2024-11-12", 1.8, 120),
    M("qwen/qwq-32b", "", "2025-03-06", 1.1, 90),
    M("qwen/qwen3-235b-a22b", "qwen/qwen3-235b-a22b-04-28", "2025-04-29", 0.55),
    M("qwen/qwen3-32b", "qwen/qwen3-32b-04-28", "2025-04-29", 1.4),
    M("qwen/qwen3-coder", "qwen/qwen3-coder-480b-a35b-07-25", "2025-07-23", 1.2),
    M("qwen/qwen3-235b-a22b-2507", "qwen/qwen3-235b-a22b-07-25", "2025-07-22", 3.0),
    M("qwen/qwen3-next-80b-a3b-instruct", "qwen/qwen3-next-80b-a3b-instruct-2509", "2025-09-11", 0.57),
    M("deepseek/deepseek-chat", "deepseek/deepseek-chat-v3", "2024-12-26", 2.7, 90),
    M("deepseek/deepseek-r1", "", "2025-01-20", 0.39, 150),
    M("deepseek/deepseek-r1-distill-llama-70b", "", "2025-01-23", 0.63, 60),
    M("deepseek/deepseek-chat-v3-0324", "", "2025-03-24", 2.7, 200),
    M("deepseek/deepseek-r1-0528", "", "2025-05-28", 1.0),
    M("deepseek/deepseek-chat-v3.1", "", "2025-08-21", 2.3),
    M("deepseek/deepseek-v3.1-terminus", "", "2025-09-22", 1.1),
    M("deepseek/deepseek-v3.2-exp", "", "2025-09-29", 2.0),
    M("moonshotai/kimi-k2", "", "2025-07-11", 2.0, 90),
    M("moonshotai/kimi-k2-0905", "", "2025-09-05", 2.0),
    M("moonshotai/kimi-k2-thinking", "moonshotai/kimi-k2-thinking-20251106", "2025-11-06", 2.0),
    M("z-ai/glm-4.5", "", "2025-07-28", 2.0),
    M("z-ai/glm-4.5-air", "", "2025-07-28", 1.9),
    M("z-ai/glm-4.6", "", "2025-09-30", 2.7),
    M("minimax/minimax-01", "", "2025-01-15", 1.2, 90),
    M("minimax/minimax-m1", "", "2025-06-17", 0.66),
    M("minimax/minimax-m2", "", "2025-10-27", 4.0),
    # open weights, rest of world
    M("meta-llama/llama-3.1-8b-instruct", "", "2024-07-23", 7.0, 300),
    M("meta-llama/llama-3.1-70b-instruct", "", "2024-07-23", 1.2, 120),
    M("meta-llama/llama-3.3-70b-instruct", "", "2024-12-06", 3.0, 300),
    M("meta-llama/llama-4-maverick", "meta-llama/llama-4-maverick-17b-128e-instruct", "2025-04-05", 0.93, 300),
    M("meta-llama/llama-4-scout", "meta-llama/llama-4-scout-17b-16e-instruct", "2025-04-05", 1.0),
    M("mistralai/mistral-nemo", "", "2024-07-18", 1.7, 300),
    M("mistralai/mistral-small-24b-instruct-2501", "", "2025-01-30", 1.4),
    M("mistralai/mistral-small-3.2-24b-instruct", "mistralai/mistral-small-3.2-24b-instruct-2506", "2025-06-20", 1.8),
    M("mistralai/devstral-small", "mistralai/devstral-small-2507", "2025-07-10", 0.87),
    M("openai/gpt-oss-120b", "", "2025-08-05", 1.8),
    M("openai/gpt-oss-20b", "", "2025-08-05", 1.2),
    M("tngtech/deepseek-r1t2-chimera", "", "2025-07-08", 1.0, 300),
    M("google/gemma-2-27b-it", "", "2024-06-27", 0.21, 90),
    M("google/gemma-3-27b-it", "", "2025-03-12", 2.0, 300),
    M("google/gemma-3-12b-it", "", "2025-03-12", 1.8, 300),
    M("nousresearch/hermes-3-llama-3.1-405b", "", "2024-08-16", 1.0, 300),
    M("sao10k/l3.3-euryale-70b", "sao10k/l3.3-euryale-70b-v2.3", "2024-12-18", 1.0, 300),
    M("gryphe/mythomax-l2-13b", "", "2023-08-01", 1.0, 400),
    M("thedrummer/rocinante-12b", "", "2024-09-30", 1.0, 300),
    M("nvidia/llama-3.1-nemotron-70b-instruct", "", "2024-10-15", 1.0, 200),
    M("microsoft/phi-4", "", "2025-01-10", 1.0, 300),
)
del M

#: A slug no catalog knows: valid rows the ingest must keep and the study must report as unknown.
UNKNOWN_MODEL = "acme/skylark-7b"
UNKNOWN_MODEL_RATE = 1e-3

#: Dates at which every time curve below is given (linear in between, flat outside). The last
#: week is its own knot: Gemini 3 Pro (2025-11-18) ends Anthropic's hold on programming that week.
KNOTS = ("2024-11-04", "2025-01-13", "2025-02-17", "2025-04-14", "2025-06-16", "2025-08-04", "2025-09-22",
         "2025-11-16", "2025-11-23")

#: Weekly token share of each source type (closed is what remains). China open: 1.2% late 2024,
#: the DeepSeek R1 peak in February, the Qwen3-Coder / Kimi K2 / GLM 4.5 surge from the summer.
#: Whole-window token totals weigh late weeks most (volume grows ~10x), so China's late share sets
#: its authors' totals against RoW's (the report's 64:36) while the weekly means stay near 13%.
GROUP_SHARE = {
    "open_china": (0.012, 0.05, 0.29, 0.05, 0.04, 0.17, 0.22, 0.27, 0.28),
    "open_row": (0.24, 0.21, 0.13, 0.16, 0.13, 0.09, 0.07, 0.063, 0.063),
}

#: Relative token pull of each closed author over time (normalised among authors with a live model).
CLOSED_AUTHOR_CURVE = {
    "Anthropic": (0.40, 0.45, 0.50, 0.50, 0.53, 0.61, 0.70, 0.75, 0.45),
    "Google": (0.18, 0.16, 0.18, 0.20, 0.24, 0.24, 0.22, 0.23, 0.36),
    "OpenAI": (0.34, 0.33, 0.30, 0.24, 0.16, 0.13, 0.13, 0.14, 0.14),
    "xAI": (0.01, 0.02, 0.02, 0.03, 0.03, 0.04, 0.08, 0.10, 0.10),
    "Qwen": (0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01),
    "Mistral": (0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01),
    "Amazon": (0.02, 0.02, 0.02, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01),
}

#: Time trend of some open authors' pull (1 elsewhere): Qwen and the Chinese labs grow into 2025
#: while DeepSeek leads early; Meta and Mistral fade.
OPEN_AUTHOR_TREND = {
    "Qwen": (0.3, 0.3, 0.3, 0.6, 1.0, 1.2, 1.2, 1.2, 1.2),
    "Meta": (1.5, 1.5, 1.3, 1.2, 1.0, 0.8, 0.7, 0.7, 0.7),
    "Mistral": (1.3, 1.3, 1.2, 1.1, 1.0, 0.9, 0.8, 0.8, 0.8),
}

#: Open-weight tokens by author over the window, in trillions (the report's top 10); the small
#: community authors fill the rest. The planner scales author pull until these ratios come out.
OPEN_AUTHOR_TOKENS = {
    "DeepSeek": 14.37, "Qwen": 5.59, "Meta": 3.96, "Mistral": 2.92, "OpenAI": 1.65, "MiniMax": 1.26,
    "Z.AI": 1.18, "TNG": 1.13, "Moonshot": 0.92, "Google": 0.82,
    "Nous Research": 0.55, "Sao10K": 0.5, "Gryphe": 0.5, "TheDrummer": 0.45, "NVIDIA": 0.3, "Microsoft": 0.3,
}

#: Leaf labels of the task taxonomy (classify/taxonomy.yaml, in its order): the ground truth of
#: every request is one of these; truth.json rolls them up to the report's 12 categories.
CATEGORIES = (
    "programming", "roleplay", "creative_writing", "adult", "translation", "technology", "science", "health",
    "finance", "legal", "marketing", "academia", "trivia", "productivity", "other",
)

#: How the report's roleplay traffic splits into leaf labels. Its sub-tags are roleplaying games
#: 58-60%, writers resources 15.6% and adult 15.4%; the taxonomy rolls creative_writing and adult up
#: into roleplay as the last two, and the roleplay leaf's own sub-category (SUBCATEGORIES) carries
#: roleplaying games, the ~10% rest having no sub-tag.
ROLEPLAY_FAMILY = {"roleplay": 0.69, "creative_writing": 0.156, "adult": 0.154}


def _mix(roleplay: float = 0.0, **leaves: float) -> dict[str, float]:
    """A token mix over leaf labels, ``roleplay`` being the whole family (ROLEPLAY_FAMILY)."""
    return {**{leaf: roleplay * share for leaf, share in ROLEPLAY_FAMILY.items()}, **leaves}


#: Token-weighted mix of leaf labels per traffic profile, early (first knot) and late (last knot);
#: unnamed leaves get none. Open China: roleplay ~33%, programming + technology ~39%; open RoW is
#: mostly roleplay so all open weights come to ~52% roleplay. Claude's tokens are programming and
#: technology (over 80% in the report's author mix) from the start: its list prices are the highest
#: of the large authors, so the other categories' effective cost stays near the report's median.
CATEGORY_MIX = {
    "anthropic": (
        _mix(0.03, programming=0.25, translation=0.005, technology=0.60, science=0.02, health=0.005, finance=0.01,
             legal=0.005, marketing=0.015, academia=0.02, trivia=0.005, productivity=0.015, other=0.005),
        _mix(0.005, programming=0.90, translation=0.001, technology=0.085, science=0.002, health=0.0005,
             finance=0.001, legal=0.0005, marketing=0.001, academia=0.001, trivia=0.0005, productivity=0.001,
             other=0.001)),
    "closed": (
        _mix(0.20, programming=0.03, translation=0.08, technology=0.12, science=0.08, health=0.05, finance=0.05,
             legal=0.03, marketing=0.12, academia=0.10, trivia=0.06, productivity=0.05, other=0.03),
        _mix(0.15, programming=0.34, translation=0.04, technology=0.09, science=0.05, health=0.03, finance=0.03,
             legal=0.02, marketing=0.07, academia=0.06, trivia=0.04, productivity=0.04, other=0.03)),
    "coder": (
        _mix(programming=0.85, technology=0.10, science=0.01, academia=0.02, other=0.02),
        _mix(programming=0.90, technology=0.07, science=0.01, academia=0.01, other=0.01)),
    "open_china": (
        _mix(0.48, programming=0.04, translation=0.05, technology=0.17, science=0.05, health=0.02, finance=0.03,
             legal=0.01, marketing=0.06, academia=0.04, trivia=0.03, productivity=0.015, other=0.015),
        _mix(0.34, programming=0.24, translation=0.04, technology=0.14, science=0.05, health=0.02, finance=0.03,
             legal=0.01, marketing=0.03, academia=0.04, trivia=0.03, productivity=0.015, other=0.015)),
    "open_row": (
        _mix(0.86, programming=0.04, translation=0.04, technology=0.03, science=0.01, health=0.01, finance=0.01,
             legal=0.005, marketing=0.015, academia=0.01, trivia=0.01, productivity=0.01, other=0.01),
        _mix(0.84, programming=0.06, translation=0.03, technology=0.03, science=0.01, health=0.01, finance=0.01,
             legal=0.005, marketing=0.015, academia=0.01, trivia=0.01, productivity=0.01, other=0.01)),
}
#: How far each profile's mix has moved from early to late (programming takes off in mid-2025).
MIX_PROGRESS = (0.0, 0.02, 0.06, 0.2, 0.45, 0.7, 0.85, 0.98, 1.0)
#: Models on the "coder" profile: the coding lines, and Google's Pro models, which carry Google's
#: share of programming (the report: about 15%) and keep Pro prices out of the other categories.
CODER_MARKERS = ("coder", "codex", "code-fast", "devstral", "gemini-2.5-pro", "gemini-3-pro")

#: Sub-category shares of the leaves the taxonomy gives sub-categories (its ids; STUDY.md
#: Taxonomy); the rest of a leaf (1 - the sum) has no sub-category, and so have the other leaves.
SUBCATEGORIES = {
    "programming": {"general": 0.67, "development_tools": 0.264, "scripting_languages": 0.066},
    "roleplay": {"roleplaying_games": 0.59 / ROLEPLAY_FAMILY["roleplay"]},
    "translation": {"foreign_language_resources": 0.7, "other": 0.3},
    "science": {"machine_learning_ai": 0.804, "other_sciences": 0.196},
}

#: Mean prompt / completion tokens per request (log-normal draws), early -> late. The mixes above
#: are token-weighted, so the mean prompt is a harmonic mix, 1 / sum(token share / length): with
#: programming over half the late tokens at ~24K, a mean near 6.3K leaves ~3.5K for the rest, so
#: the large other categories (roleplay, technology: ~5K over the window) are long and the small
#: ones (translation, trivia, ...) short.
PROMPT_MEAN = {"programming": (8_000, 24_000), **dict.fromkeys(ROLEPLAY_FAMILY, (3_400, 6_200)),
               "technology": (2_800, 6_000), "default": (1_100, 2_100)}
PROMPT_SIGMA = 1.0
COMPLETION_MEAN = (140.0, 230.0)
COMPLETION_SIGMA = 0.9
REASONING_COMPLETION_FACTOR = 2.5  # a reasoning turn's completion is this much longer
REASONING_SHARE_OF_COMPLETION = (0.4, 0.85)  # reasoning tokens / completion, uniform range
HYBRID_REASONING_ON = (0.15, 0.72)  # share of a hybrid model's requests that reason, early -> late

#: Probability that a request ends in tool calls, early -> late.
TOOL_CALL_P = {"programming": (0.05, 0.45), "technology": (0.03, 0.15), "default": (0.01, 0.05)}
LENGTH_P, CONTENT_FILTER_P, ERROR_P = 0.02, 0.002, 0.004
STREAMED_P, CANCELLED_OF_STREAMED_P = 0.6, 0.02
BYOK_P, BYOK_FEE = 0.03, 0.05
FREE_VARIANT_P = 0.12  # share of open-weight requests served by a free endpoint
CACHE_HIT_P = {"programming": 0.6, "default": 0.15}
CACHE_READ_PRICE = {"Anthropic": 0.1, "OpenAI": 0.25, "Google": 0.25, "xAI": 0.25, "default": 0.5}

#: Daily request volume grows by this factor over the window; weekends carry less traffic.
REQUEST_GROWTH, WEEKEND_FACTOR = 3.0, 0.8

#: Billing countries with their whole-window token share (%). The report's top 10 are exact; the
#: others fill each continent, scaled so the total is 100. The report's US + CA exceed its North
#: America figure, so continents follow the countries and land within ~2 points of the report.
COUNTRIES = {
    "US": ("North America", 47.17), "CA": ("North America", 1.90),
    "SG": ("Asia", 9.21), "CN": ("Asia", 6.01), "KR": ("Asia", 2.88), "JP": ("Asia", 1.77), "IN": ("Asia", 1.62),
    "HK": ("Asia", 1.5), "TW": ("Asia", 1.2), "VN": ("Asia", 1.0), "ID": ("Asia", 0.9), "TH": ("Asia", 0.8),
    "AE": ("Asia", 0.6), "IL": ("Asia", 0.6), "TR": ("Asia", 0.52),
    "DE": ("Europe", 7.51), "NL": ("Europe", 2.65), "GB": ("Europe", 2.52), "FR": ("Europe", 1.5),
    "PL": ("Europe", 1.2), "RU": ("Europe", 1.3), "ES": ("Europe", 1.0), "IT": ("Europe", 0.9),
    "SE": ("Europe", 0.8), "CH": ("Europe", 0.8), "UA": ("Europe", 0.6), "FI": ("Europe", 0.54),
    "BR": ("South America", 0.8), "AR": ("South America", 0.21), "CO": ("South America", 0.2),
    "AU": ("Oceania", 1.0), "NZ": ("Oceania", 0.18),
    "ZA": ("Africa", 0.2), "NG": ("Africa", 0.16), "EG": ("Africa", 0.1),
}
#: Relative drift of each continent's share over the window (Asia's spend 13% -> 31%), and how far
#: it has gone at each knot: fast through the first half of 2025, then levelling off. The planner
#: centres it on the token-weighted mean, so whole-window shares stay as above; as most tokens are
#: late, a linear drift would overshoot 31% at the end to keep Asia's whole-window 28.6%.
CONTINENT_DRIFT = {"Asia": 0.68, "North America": -0.40}
CONTINENT_DRIFT_PROGRESS = (0.0, 0.25, 0.42, 0.62, 0.78, 0.88, 0.94, 0.99, 1.0)

#: Activity retention by months since first use (month 0 = 1). Later cohorts of every model use
#: DEFAULT; the report's foundational cohorts keep ~40% at month 5; DeepSeek R1's April cohort
#: comes back near month 3.
RETENTION_DEFAULT = (1.0, 0.30, 0.22, 0.18, 0.16, 0.15, 0.14, 0.13, 0.12, 0.12, 0.11, 0.11, 0.11, 0.10)
RETENTION_SPECIAL = {
    ("anthropic/claude-sonnet-4", "2025-05"): (1.0, 0.52, 0.48, 0.45, 0.43, 0.42, 0.41),
    ("google/gemini-2.5-pro", "2025-06"): (1.0, 0.52, 0.48, 0.45, 0.43, 0.42),
    ("deepseek/deepseek-r1", "2025-04"): (1.0, 0.22, 0.14, 0.34, 0.24, 0.18, 0.15, 0.13),
}
REQUESTS_PER_ACTIVE_USER = 8  # per model and month; leaves room so every active user gets a request
NEW_USER_FLOOR = 0.3  # share of a model-month's active users who are always new adopters
USERS_PER_REQUEST = 1 / 20  # size of the account pool relative to the requests asked for
ACTIVITY_SIGMA = 1.3  # log-normal spread of how busy a user is

#: The 8 models whose cohorts the report charts (and truth.json records).
RETENTION_MODELS = (
    "anthropic/claude-sonnet-4", "google/gemini-2.5-pro", "google/gemini-2.5-flash", "openai/gpt-4o-mini",
    "meta-llama/llama-4-maverick", "google/gemini-2.0-flash-001", "deepseek/deepseek-r1",
    "deepseek/deepseek-chat-v3-0324",
)

#: Hosts, apps and key labels (chosen per request; apps by category).
OPEN_HOSTS = ("DeepInfra", "Together", "Fireworks", "Chutes", "Novita", "Parasail", "Groq", "SambaNova")
FREE_HOSTS = ("Chutes", "Targon")
CLOSED_HOSTS = {
    "Anthropic": ("Anthropic", "Anthropic", "Amazon Bedrock", "Google Vertex"),
    "OpenAI": ("OpenAI", "OpenAI", "OpenAI", "Azure"),
    "Google": ("Google AI Studio", "Google Vertex"),
    "xAI": ("xAI",), "Qwen": ("Alibaba",), "Mistral": ("Mistral",), "Amazon": ("Amazon Bedrock",),
}
APPS = {
    "programming": ("Cline", "Roo Code", "Kilo Code", "Aider", "OpenHands", "Zed"),
    "roleplay": ("SillyTavern", "Janitor AI", "Chub AI", "RisuAI", "Agnai"),
    "default": ("OpenRouter Chat", "LibreChat", "Open WebUI", "LobeChat", "n8n", ""),
}
API_KEY_NAMES = ("default", "prod", "dev", "staging", "batch")

#: The published numbers this world is calibrated to (STUDY.md "Calibration targets").
TARGETS = {
    "china_open_share_first_week": 0.012,
    "china_open_share_peak_week": 0.30,
    "china_open_share_mean": 0.130,
    "row_open_share_mean": 0.137,
    "closed_share_mean": 0.70,
    "open_share_late_2025": 1 / 3,
    "open_top_model_share_late_2025_max": 0.25,
    "deepseek_v3_r1_open_share_early": 0.50,
    "avg_prompt_tokens_late_2025": 6_000,
    "avg_completion_tokens_early": 150,
    "avg_completion_tokens_late_2025": 400,
    "avg_sequence_length_late_2025": 5_400,
    "reasoning_share_early_2025": 0.0,
    "reasoning_share_late_2025": 0.50,
    "programming_share_early_2025": 0.11,
    "programming_share_late_2025": 0.50,
    "anthropic_programming_share_before_2025_11_17": 0.60,
    "anthropic_programming_share_week_of_2025_11_17_max": 0.60,
    "roleplay_share_of_open": 0.52,
    "china_open_roleplay_share": 0.33,
    "china_open_programming_technology_share": 0.39,
    "programming_avg_prompt_tokens": 20_000,
    "other_large_categories_avg_prompt_tokens": 5_000,
    "foundational_retention_month5": 0.40,
    "asia_spend_share_first_month": 0.13,
    "asia_spend_share_last_month": 0.31,
    "north_america_spend_share_last_month_max": 0.50,
    "europe_spend_share_mean": 0.22,
}
CONTINENT_TARGETS = {"North America": 47.22, "Asia": 28.61, "Europe": 21.32, "South America": 1.21, "Oceania": 1.18, "Africa": 0.46}
COUNTRY_TARGETS = {"US": 47.17, "SG": 9.21, "DE": 7.51, "CN": 6.01, "KR": 2.88, "NL": 2.65, "GB": 2.52, "CA": 1.90, "JP": 1.77, "IN": 1.62}
