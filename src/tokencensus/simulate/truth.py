"""Ground truth of a simulated log, summed in numpy from the rows actually written.

Why separate from the study: the study computes the same numbers through ingest and Ibis; this
module computes them straight from the generator's arrays (injected bad rows left out), so the two
can be compared. Definitions follow STUDY.md: tokens = prompt + completion; weeks are UTC and start
on Monday; shares are of all valid tokens, so rows of a model no catalog knows count in no source
group (``share_unknown``); a request counts as reasoning when its model's flag is "yes", or
"hybrid" with reasoning tokens > 0. ``cost_usd`` totals are ``cost_total`` as logged; spend shares
by continent leave BYOK rows out (the study's effective cost). Requests carry taxonomy leaf labels;
category numbers are of the report's 12 categories, rolled up by the package taxonomy as the study
rolls up a classifier's labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from tokencensus.classify.taxonomy import load_taxonomy
from tokencensus.simulate import calibration as cal
from tokencensus.simulate.plan import Models
from tokencensus.simulate.rows import EPOCH_DAY, TOOL_CALLS, MonthRows
from tokencensus.simulate.users import CONTINENTS, COUNTRY_CODES, COUNTRY_CONTINENT, UserPool
from tokencensus.simulate.writer import BAD_KINDS, Injection

_TAXONOMY = load_taxonomy()
REPORT12 = _TAXONOMY.categories("report12")
#: (leaf label, report-12 category) one-hot: ``leaf_axis @ ROLLUP`` sums leaves into categories.
ROLLUP = np.eye(len(REPORT12))[[REPORT12.index(_TAXONOMY.rollup(c, "report12")) for c in cal.CATEGORIES]]
PROGRAMMING, ROLEPLAY, TECHNOLOGY = (REPORT12.index(c) for c in ("programming", "roleplay", "technology"))
LARGE_CATEGORIES = 2  # "other large categories": this many largest by tokens, programming aside


MEASURES = ("tokens", "requests", "cost_usd", "prompt", "completion")


@dataclass
class Truth:
    """Running sums over the valid rows of every month written so far.

    One cube of sums by (week, model, leaf label, reasoning?, tool call?) holds everything weekly and
    per model; country tokens, spend by continent and the users of the retention models are kept beside.
    """

    models: Models
    pool: UserPool
    start: date
    end: date
    cube: np.ndarray = field(init=False)  # (measure, week, model, leaf label, reasoning, tool call)
    country_tokens: np.ndarray = field(init=False)
    month_spend: dict[str, np.ndarray] = field(default_factory=dict)
    cohort_users: dict[int, list[tuple[int, np.ndarray]]] = field(default_factory=dict)  # closed months' users
    month_users: np.ndarray = field(init=False)  # (retention model, account): seen in the current month
    months: list[str] = field(default_factory=list)
    injected: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BAD_KINDS + ("unknown_model_rows",), 0))
    users_seen: np.ndarray = field(init=False)  # bool per account: made at least one request

    def __post_init__(self) -> None:
        self.monday = self.start - timedelta(days=self.start.weekday())
        n_weeks = (self.end - self.monday).days // 7 + 1
        n_models = len(self.models) + 1  # + the unknown slug
        self.cube = np.zeros((len(MEASURES), n_weeks, n_models, len(cal.CATEGORIES), 2, 2))
        self.country_tokens = np.zeros(len(COUNTRY_CODES))
        self.users_seen = np.zeros(len(self.pool), dtype=bool)
        ids = list(self.models.ids)
        self.retention_models = {ids.index(m): m for m in cal.RETENTION_MODELS if m in ids}
        self.month_users = np.zeros((len(self.retention_models), len(self.pool)), dtype=bool)
        self.group = np.append(self.models.group.astype(np.int64), 3)  # 3 = the unknown slug
        self.reasoning_flag = np.append(self.models.reasoning, 0)

    def add(self, rows: MonthRows, injection: Injection, month: str) -> None:
        """Add a chunk of rows (the chunks of a month come one after another) and its bad records."""
        valid = ~injection.spoiled(len(rows))
        for kind in BAD_KINDS:
            self.injected[kind] += len(injection.rows[kind])
        self.injected["unknown_model_rows"] += int(((rows.model == len(self.models)) & valid).sum())
        self.users_seen[rows.user] = True
        keep = slice(None) if valid.all() else np.flatnonzero(valid)  # only the columns used are taken
        ts_ms, model, category, finish, user, byok = (
            rows.ts_ms[keep], rows.model[keep], rows.category[keep], rows.finish[keep], rows.user[keep], rows.byok[keep])
        prompt, completion, reasoning_tokens, cost = (
            rows.prompt[keep], rows.completion[keep], rows.reasoning[keep], rows.cost_total[keep])
        if not self.months or self.months[-1] != month:
            self.cohort_users = self._monthly_users()
            self.month_users[:] = False
            self.months.append(month)
        week = (ts_ms // 86_400_000 + EPOCH_DAY - self.monday.toordinal()) // 7
        flag = self.reasoning_flag[model]
        reasoning = (flag == 2) | ((flag == 1) & (reasoning_tokens > 0))
        first = int(week.min()) if len(week) else 0
        weeks = self.cube[:, first:int(week.max()) + 1 if len(week) else first]  # the chunk's weeks only
        shape = weeks.shape[1:]
        key = np.ravel_multi_index((week - first, model, category, reasoning, finish == TOOL_CALLS), shape)
        tokens = (prompt + completion).astype(float)
        for i, weights in enumerate((tokens, None, cost, prompt, completion)):
            weeks[i] += np.bincount(key, weights=weights, minlength=weeks[i].size).reshape(shape)
        country = self.pool.country[user]
        self.country_tokens += np.bincount(country, weights=tokens, minlength=len(COUNTRY_CODES))
        spend = np.bincount(COUNTRY_CONTINENT[country], weights=cost * ~byok, minlength=len(CONTINENTS))
        self.month_spend[month] = self.month_spend.get(month, 0) + spend
        for i, m in enumerate(self.retention_models):
            self.month_users[i, user[model == m]] = True

    def _monthly_users(self) -> dict[int, list[tuple[int, np.ndarray]]]:
        """(month, its distinct users) of each retention model, the current month included."""
        if not self.months:
            return {}
        month = len(self.months) - 1
        return {m: self.cohort_users.get(m, []) + [(month, np.flatnonzero(self.month_users[i]))]
                for i, m in enumerate(self.retention_models)}

    def weekly_sums(self) -> dict[str, np.ndarray]:
        """Per-week totals (tokens by source group, reasoning, tool calls, programming, ...)."""
        tokens_wm = self.cube[0].sum(axis=(2, 3, 4))
        sums = {name: self.cube[i].sum(axis=(1, 2, 3, 4)) for i, name in enumerate(MEASURES)}
        for g, name in enumerate(("closed", "open_china", "open_row", "unknown")):
            sums[name] = tokens_wm[:, self.group == g].sum(axis=1)
        sums["reasoning"] = self.cube[0, :, :, :, 1].sum(axis=(1, 2, 3))
        sums["tool_calls"] = self.cube[0, :, :, :, :, 1].sum(axis=(1, 2, 3))
        programming = (self.cube[0].sum(axis=(3, 4)) @ ROLLUP)[:, :, PROGRAMMING]  # (week, model)
        sums["programming"] = programming.sum(axis=1)
        sums["anthropic_programming"] = programming[:, :-1][:, self.models.author == "Anthropic"].sum(axis=1)
        return sums

    def _cohorts(self) -> dict[str, dict[str, list[float]]]:
        result: dict[str, dict[str, list[float]]] = {}
        for m, monthly in self._monthly_users().items():
            active = np.zeros((len(monthly), len(self.pool)), dtype=bool)  # (month, account)
            for k, (_, users) in enumerate(monthly):
                active[k, users] = True
            seen = np.zeros(len(self.pool), dtype=bool)
            curves: dict[str, list[float]] = {}
            for k, (month_ix, users) in enumerate(monthly):
                cohort = users[~seen[users]]
                seen[users] = True
                if len(cohort):
                    curves[self.months[month_ix]] = [round(float(x), 6) for x in active[k:, cohort].mean(axis=1)]
            if curves:
                result[self.retention_models[m]] = curves
        return result

    def to_json(self, seed: int) -> dict[str, Any]:
        w = self.weekly_sums()
        tokens, requests = w["tokens"], w["requests"]
        share = lambda x: np.divide(x, tokens, out=np.zeros_like(x), where=tokens > 0)  # noqa: E731
        per_request = lambda x: np.divide(x, requests, out=np.zeros_like(x), where=requests > 0)  # noqa: E731
        weekly = [
            {
                "week": (self.monday + timedelta(weeks=i)).isoformat(),
                "tokens": int(tokens[i]), "requests": int(requests[i]), "cost_usd": float(w["cost_usd"][i]),
                "share_closed": float(share(w["closed"])[i]), "share_open_china": float(share(w["open_china"])[i]),
                "share_open_row": float(share(w["open_row"])[i]), "share_unknown": float(share(w["unknown"])[i]),
                "share_reasoning": float(share(w["reasoning"])[i]), "share_tool_calls": float(share(w["tool_calls"])[i]),
                "avg_prompt_tokens": float(per_request(w["prompt"])[i]),
                "avg_completion_tokens": float(per_request(w["completion"])[i]),
                "programming_share": float(share(w["programming"])[i]),
                "anthropic_share_of_programming": float(w["anthropic_programming"][i] / max(w["programming"][i], 1e-300)),
            }
            for i in range(len(tokens)) if requests[i] > 0
        ]
        open_model = np.append(self.models.open_weights, False)
        author = np.append(self.models.author, "")
        model_tokens = self.cube[0].sum(axis=(0, 2, 3, 4))
        open_author = {a: 0 for a in dict.fromkeys(author[open_model])}
        for a, t in zip(author[open_model], model_tokens[open_model]):
            open_author[a] += int(t)
        category_tokens = self.cube[0].sum(axis=(0, 1, 3, 4)) @ ROLLUP
        continent_tokens = np.bincount(COUNTRY_CONTINENT, weights=self.country_tokens, minlength=len(CONTINENTS))
        truth = {
            "seed": seed,
            "requests": int(requests.sum()),
            "period": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "injected": self.injected,
            "totals": {"tokens": int(tokens.sum()), "requests": int(requests.sum()), "cost_usd": float(w["cost_usd"].sum())},
            "weekly": weekly,
            "open_author_tokens": dict(sorted(open_author.items(), key=lambda kv: -kv[1])),
            "category_token_share": {c: float(v) for c, v in zip(REPORT12, category_tokens / tokens.sum())},
            "continent_token_share": {c: float(v) for c, v in zip(CONTINENTS, continent_tokens / tokens.sum())},
            "country_token_share": {c: float(v) for c, v in zip(COUNTRY_CODES, self.country_tokens / tokens.sum())},
            "continent_spend_share_by_month": {
                m: {c: float(v) for c, v in zip(CONTINENTS, s / max(s.sum(), 1e-300))} for m, s in self.month_spend.items()
            },
            "cohorts": self._cohorts(),
        }
        truth["calibration"] = calibration_report(self, truth)
        return truth


def _weeks_between(weekly: list[dict[str, Any]], first: str, last: str) -> list[dict[str, Any]]:
    return [w for w in weekly if first <= w["week"] <= last]


def calibration_report(t: Truth, truth: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Each published target beside the simulated value (None where the window does not cover it)."""
    weekly = truth["weekly"]
    late = weekly[-8:]
    jan25 = _weeks_between(weekly, "2025-01-06", "2025-01-27")
    mean = lambda rows, key: float(np.mean([r[key] for r in rows])) if rows else None  # noqa: E731
    week_model = t.cube[0].sum(axis=(2, 3, 4))
    open_week = week_model[:, :-1][:, t.models.open_weights]
    open_share = open_week / np.maximum(open_week.sum(axis=1, keepdims=True), 1e-300)
    week_labels = [(t.monday + timedelta(weeks=i)).isoformat() for i in range(len(open_week))]
    open_ids = list(t.models.ids[t.models.open_weights])
    ds = [open_ids.index(m) for m in ("deepseek/deepseek-chat", "deepseek/deepseek-r1") if m in open_ids]
    winter = [i for i, w in enumerate(week_labels) if "2025-01-06" <= w <= "2025-02-24"]
    anthropic = {w["week"]: w["anthropic_share_of_programming"] for w in weekly if w["programming_share"] > 0}
    before = [v for week, v in anthropic.items() if week < "2025-11-17"]
    mc = t.cube[0].sum(axis=(0, 3, 4)) @ ROLLUP  # tokens by (model, category)
    open_rows, china_rows = np.append(t.models.open_weights, False), np.append(t.group[:-1] == 1, False)
    category_prompt = t.cube[3].sum(axis=(0, 1, 3, 4)) @ ROLLUP
    category_requests = t.cube[1].sum(axis=(0, 1, 3, 4)) @ ROLLUP
    prompt_avg = category_prompt / np.maximum(category_requests, 1)
    by_size = np.argsort(-np.array(list(truth["category_token_share"].values())), kind="stable")
    others = by_size[by_size != PROGRAMMING][:LARGE_CATEGORIES]
    spend = truth["continent_spend_share_by_month"]
    months = list(spend)
    cohorts = truth["cohorts"]
    foundational = [cohorts.get(m, {}).get(c) for m, c in (("anthropic/claude-sonnet-4", "2025-05"),
                                                            ("google/gemini-2.5-pro", "2025-06"))]
    month5 = [c[5] for c in foundational if c and len(c) > 5]
    open_top = {a: v for a, v in list(truth["open_author_tokens"].items())}
    top_target = {a: cal.OPEN_AUTHOR_TOKENS[a] for a in list(cal.OPEN_AUTHOR_TOKENS)[:10]}
    top_sim = sum(open_top.get(a, 0) for a in top_target)
    simulated: dict[str, float | None] = {
        "china_open_share_first_week": weekly[0]["share_open_china"],
        "china_open_share_peak_week": max(w["share_open_china"] for w in weekly),
        "china_open_share_mean": mean(weekly, "share_open_china"),
        "row_open_share_mean": mean(weekly, "share_open_row"),
        "closed_share_mean": mean(weekly, "share_closed"),
        "open_share_late_2025": float(np.mean([w["share_open_china"] + w["share_open_row"] for w in late])),
        "open_top_model_share_late_2025_max": float(open_share[-8:].mean(axis=0).max()),
        "deepseek_v3_r1_open_share_early": float(open_share[winter][:, ds].sum(axis=1).max()) if winter and ds else None,
        "avg_prompt_tokens_late_2025": mean(late, "avg_prompt_tokens"),
        "avg_completion_tokens_early": mean(weekly[:4], "avg_completion_tokens"),
        "avg_completion_tokens_late_2025": mean(late, "avg_completion_tokens"),
        "avg_sequence_length_late_2025": float(np.mean([w["avg_prompt_tokens"] + w["avg_completion_tokens"] for w in late])),
        "reasoning_share_early_2025": mean(jan25, "share_reasoning"),
        "reasoning_share_late_2025": mean(late, "share_reasoning"),
        "programming_share_early_2025": mean(jan25, "programming_share"),
        "programming_share_late_2025": mean(late, "programming_share"),
        "anthropic_programming_share_before_2025_11_17": min(before) if before else None,
        "anthropic_programming_share_week_of_2025_11_17_max": anthropic.get("2025-11-17"),
        "roleplay_share_of_open": float(mc[open_rows, ROLEPLAY].sum() / max(mc[open_rows].sum(), 1)),
        "china_open_roleplay_share": float(mc[china_rows, ROLEPLAY].sum() / max(mc[china_rows].sum(), 1)),
        "china_open_programming_technology_share": float(mc[china_rows][:, [PROGRAMMING, TECHNOLOGY]].sum() / max(mc[china_rows].sum(), 1)),
        "programming_avg_prompt_tokens": float(prompt_avg[PROGRAMMING]),
        "other_large_categories_avg_prompt_tokens": float(category_prompt[others].sum() / max(category_requests[others].sum(), 1)),
        "foundational_retention_month5": float(np.mean(month5)) if month5 else None,
        "asia_spend_share_first_month": spend[months[0]]["Asia"],
        "asia_spend_share_last_month": spend[months[-1]]["Asia"],
        "north_america_spend_share_last_month_max": spend[months[-1]]["North America"],
        "europe_spend_share_mean": float(np.mean([spend[m]["Europe"] for m in months])),
    }
    report = {k: {"target": v, "simulated": simulated[k]} for k, v in cal.TARGETS.items()}
    for c, pct in cal.CONTINENT_TARGETS.items():
        report[f"continent_token_share_{c}"] = {"target": pct / 100, "simulated": truth["continent_token_share"][c]}
    for c, pct in cal.COUNTRY_TARGETS.items():
        report[f"country_token_share_{c}"] = {"target": pct / 100, "simulated": truth["country_token_share"][c]}
    for a, v in top_target.items():
        report[f"open_author_relative_share_{a}"] = {
            "target": v / sum(top_target.values()), "simulated": open_top.get(a, 0) / max(top_sim, 1)}
    return report
