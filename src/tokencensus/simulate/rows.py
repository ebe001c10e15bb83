"""One month of requests, drawn from the plan as whole numpy columns.

Why column-wise: a month can hold millions of requests, so every per-request quantity (time, tokens,
reasoning, cache, finish reason, cost, latency, host, app) is one vectorised draw over the month.

Cost convention (as OpenRouter's activity export): ``cost_total`` is what was paid, cache discount
included: uncached prompt tokens at the list input price, cached prompt tokens at the author's
cache-read price, completion tokens (reasoning inside) at the list output price. ``cost_cache`` is
the cache-read part of that total (empty when nothing was read from cache). Free-endpoint rows cost
0. BYOK rows carry the provider's charge in ``byok_usage_inference`` and only OpenRouter's 5% fee in
``cost_total``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tokencensus.simulate import calibration as cal
from tokencensus.simulate.plan import Models, Plan

FINISH = ("stop", "length", "tool_calls", "content_filter", "error", "")  # "" = cancelled
#: Native finish reasons per provider vocabulary, in FINISH order.
RAW_FINISH = {
    "anthropic": ("end_turn", "max_tokens", "tool_use", "refusal", "error", ""),
    "google": ("STOP", "MAX_TOKENS", "STOP", "SAFETY", "error", ""),
    "openai": ("stop", "length", "tool_calls", "content_filter", "error", ""),
}
TOOL_CALLS, CANCELLED = FINISH.index("tool_calls"), FINISH.index("")
PROGRAMMING = cal.CATEGORIES.index("programming")
ROLEPLAY_FAMILY = [cal.CATEGORIES.index(c) for c in cal.ROLEPLAY_FAMILY]  # the leaves roleplay apps serve
EPOCH_DAY = 719163  # date(1970, 1, 1).toordinal()


def _by_category(spec: dict[str, tuple[float, float]], frac: np.ndarray) -> np.ndarray:
    """(days, categories) of an early -> late parameter given per category with a default."""
    early, late = np.array([spec.get(c, spec["default"]) for c in cal.CATEGORIES]).T
    return early + np.outer(frac, late - early)


def _pick(table: list[tuple[str, ...]], group: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    """Uniform choice inside each group's tuple; returns codes into a shared vocabulary."""
    vocab = list(dict.fromkeys(v for t in table for v in t))
    width = max(len(t) for t in table)
    codes = np.array([[vocab.index(t[i % len(t)]) for i in range(width)] for t in table])
    lengths = np.array([len(t) for t in table])
    slot = (rng.random(len(group)) * lengths[group]).astype(np.int64)
    return codes[group, slot], vocab


@dataclass
class MonthRows:
    """The requests of one month, sorted by time. Token and cost columns are what the log says."""

    ts_ms: np.ndarray
    model: np.ndarray  # model number; len(models) = the unknown slug
    category: np.ndarray
    user: np.ndarray
    prompt: np.ndarray
    completion: np.ndarray
    reasoning: np.ndarray
    cached: np.ndarray
    finish: np.ndarray  # index into FINISH
    raw_finish: np.ndarray  # index into raw_vocab
    raw_vocab: list[str]
    streamed: np.ndarray
    cancelled: np.ndarray
    free: np.ndarray
    byok: np.ndarray
    cost_total: np.ndarray
    cost_cache: np.ndarray  # NaN = empty
    byok_usage: np.ndarray
    generation_ms: np.ndarray
    ttft_ms: np.ndarray
    host: np.ndarray
    host_vocab: list[str]
    app: np.ndarray
    app_vocab: list[str]

    def __len__(self) -> int:
        return len(self.ts_ms)

    def take(self, index: np.ndarray) -> MonthRows:
        return MonthRows(**{k: (v[index] if isinstance(v, np.ndarray) else v) for k, v in vars(self).items()})


def draw_cells(plan: Plan, day_slice: slice, n_models: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """(day, model, category) of every request of the days in ``day_slice``."""
    counts = rng.multinomial(plan.requests[day_slice], plan.cell_p[day_slice])
    cells = np.repeat(np.arange(counts.size, dtype=np.int64), counts.ravel())
    n_cat = len(cal.CATEGORIES)
    day, rest = np.divmod(cells, n_models * n_cat)
    model, category = np.divmod(rest, n_cat)
    return day + (day_slice.start or 0), model, category


def _tokens(plan: Plan, day: np.ndarray, model: np.ndarray, category: np.ndarray,
            rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Whether each request reasons, and its prompt, completion, reasoning and cached tokens."""
    n = len(day)
    reasons = rng.random(n) < plan.reasoning_p[day, model]
    sigma_p, sigma_c = cal.PROMPT_SIGMA, cal.COMPLETION_SIGMA
    prompt_mu = (np.log(plan.prompt_mean) - sigma_p**2 / 2)[day, category]  # logs per day, not per request
    prompt = np.ceil(np.exp(prompt_mu + sigma_p * rng.standard_normal(n))).astype(np.int64)
    completion_mean = plan.completion_mean[:, None] * np.array([1.0, cal.REASONING_COMPLETION_FACTOR])
    completion_mu = (np.log(completion_mean) - sigma_c**2 / 2)[day, reasons.astype(np.intp)]
    completion = np.ceil(np.exp(completion_mu + sigma_c * rng.standard_normal(n))).astype(np.int64)
    lo, hi = cal.REASONING_SHARE_OF_COMPLETION
    reasoning = np.where(reasons, np.maximum(np.floor(completion * rng.uniform(lo, hi, n)), 1), 0).astype(np.int64)
    hit_p = np.array([cal.CACHE_HIT_P.get(c, cal.CACHE_HIT_P["default"]) for c in cal.CATEGORIES])
    hit = rng.random(n) < hit_p[category]
    cached = np.where(hit, np.floor(prompt * rng.uniform(0.5, 0.95, n)), 0).astype(np.int64)
    return reasons, prompt, completion, reasoning, cached


def _finish(plan: Plan, day: np.ndarray, category: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Normalised finish reason (index into FINISH) of requests that ran to the end."""
    tool_p = _by_category(cal.TOOL_CALL_P, plan.frac)[day, category]
    u = rng.random(len(day))
    other_edges = np.cumsum([cal.LENGTH_P, cal.CONTENT_FILTER_P, cal.ERROR_P])
    other = np.array([FINISH.index(f) for f in ("length", "content_filter", "error", "stop")], dtype=np.int8)
    rest = u - tool_p
    passed = np.zeros(len(day), dtype=np.intp)  # edges at or below rest: a searchsorted, in a third of the time
    for edge in other_edges:
        passed += rest >= edge
    return np.where(u < tool_p, TOOL_CALLS, other[passed])


def _raw_finish(models: Models, model: np.ndarray, finish: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The provider's native finish reason: Anthropic and Google vocabularies, OpenAI's elsewhere."""
    vocab_of = np.select([models.author == "Anthropic", models.author == "Google"], [0, 1], 2)[model]
    names = [name for v in RAW_FINISH.values() for name in v]
    vocab = list(dict.fromkeys(names))
    code = np.array([vocab.index(x) for x in names]).reshape(len(RAW_FINISH), len(FINISH))
    return code[vocab_of, finish], vocab


def _costs(models: Models, model: np.ndarray, prompt: np.ndarray, completion: np.ndarray, cached: np.ndarray,
           rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Free and BYOK flags, cost paid, cache-read cost (NaN = none) and BYOK provider charge."""
    n = len(model)
    free = models.open_weights[model] & (rng.random(n) < cal.FREE_VARIANT_P)
    byok = ~free & (rng.random(n) < cal.BYOK_P)
    cache_price = np.array([cal.CACHE_READ_PRICE.get(a, cal.CACHE_READ_PRICE["default"]) for a in models.author])
    price_in, price_out = models.price_in[model], models.price_out[model]
    cache_cost = cached * price_in * cache_price[model] / 1e6
    list_cost = ((prompt - cached) * price_in + completion * price_out) / 1e6 + cache_cost
    paid = np.where(free, 0.0, np.where(byok, cal.BYOK_FEE * list_cost, list_cost))
    cost_cache = np.where((cached > 0) & ~free & ~byok, cache_cost, np.nan)
    return free, byok, np.round(paid, 10), np.round(cost_cache, 10), np.round(np.where(byok, list_cost, 0.0), 10)


def draw_month(
    plan: Plan, models: Models, day: np.ndarray, model: np.ndarray, category: np.ndarray,
    user: np.ndarray, rng: np.random.Generator,
) -> MonthRows:
    """Every logged field of the given requests (day index into the plan, model, category, user),
    in time order."""
    n = len(day)
    ts_ms = (plan.days[day] - EPOCH_DAY) * 86_400_000 + rng.integers(0, 86_400_000, n)
    order = np.argsort(ts_ms)  # deterministic for the same input, and faster than a stable sort
    ts_ms, day, model, category, user = ts_ms[order], day[order], model[order], category[order], user[order]

    reasons, prompt, completion, reasoning, cached = _tokens(plan, day, model, category, rng)
    finish = _finish(plan, day, category, rng)
    streamed = rng.random(n) < cal.STREAMED_P
    cancelled = streamed & (rng.random(n) < cal.CANCELLED_OF_STREAMED_P)
    completion = np.where(cancelled, np.floor(completion * rng.random(n)), completion).astype(np.int64)
    reasoning = np.minimum(reasoning, completion)
    finish = np.where(cancelled, CANCELLED, finish)
    raw_finish, raw_vocab = _raw_finish(models, model, finish)
    free, byok, paid, cost_cache, byok_usage = _costs(models, model, prompt, completion, cached, rng)

    ttft = np.exp(np.log(np.array([600.0, 2400.0]))[reasons.astype(np.intp)] + 0.6 * rng.standard_normal(n))
    speed = np.exp(np.log(70.0) + 0.5 * rng.standard_normal(n))  # tokens per second
    generation = ttft + completion / speed * 1000.0

    host_tables = [cal.FREE_HOSTS, cal.OPEN_HOSTS] + [cal.CLOSED_HOSTS[a] for a in cal.CLOSED_HOSTS]
    closed_ix = np.array([list(cal.CLOSED_HOSTS).index(a) + 2 if a in cal.CLOSED_HOSTS else 1 for a in models.author])
    host_group = np.where(free, 0, np.where(models.open_weights, 1, closed_ix)[model])
    host, host_vocab = _pick(host_tables, host_group, rng)
    app_group = np.full(len(cal.CATEGORIES), 2)
    app_group[ROLEPLAY_FAMILY], app_group[PROGRAMMING] = 1, 0
    app_group = app_group[category]
    app, app_vocab = _pick([cal.APPS["programming"], cal.APPS["roleplay"], cal.APPS["default"]], app_group, rng)

    unknown = rng.random(n) < cal.UNKNOWN_MODEL_RATE
    return MonthRows(
        ts_ms=ts_ms, model=np.where(unknown, len(models), model), category=category, user=user,
        prompt=prompt, completion=completion, reasoning=reasoning, cached=cached, finish=finish,
        raw_finish=raw_finish, raw_vocab=raw_vocab, streamed=streamed, cancelled=cancelled, free=free,
        byok=byok, cost_total=paid, cost_cache=cost_cache, byok_usage=byok_usage,
        generation_ms=np.round(generation).astype(np.int64), ttft_ms=np.round(ttft).astype(np.int64),
        host=host, host_vocab=host_vocab, app=app, app_vocab=app_vocab,
    )
