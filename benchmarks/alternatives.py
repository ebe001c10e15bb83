"""Three study figures written the way a user would without tokencensus: DuckDB SQL, pandas, polars.

The work is that of F1 (weekly tokens, requests, spend and distinct users by source type, with
each weight's weekly share, and the users' share of the week's distinct users), F14 (weekly
prompt-token count, distinct users, mean and exact p50/p90/p99) and T3 (top 10 billing countries
by tokens, the country filled in from the accounts snapshot, with the same shares over the whole
window). Every tool gets the same two small lookup tables (slug -> source type from the model
catalog; account -> country), so only the row-level work differs. Each function returns
{figure: pandas DataFrame} so the runs can be checked against each other.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tokencensus.catalog import load_catalog

QUANTILES = {"p50": 0.5, "p90": 0.9, "p99": 0.99}
COLUMNS = [
    "ts", "user_id", "model", "prompt_tokens", "completion_tokens", "cost_usd", "byok", "country",
]


def peak_mb() -> float:
    """This process's peak resident memory in MB: VmHWM, which (unlike ru_maxrss) exec resets, so a
    child does not report the peak of the process that started it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def source_types(slugs: list[str]) -> pa.Table:
    """slug -> source_type (closed / open_china / open_row / unknown), as in tokencensus.study.enrich."""
    catalog = load_catalog()
    resolved = catalog.resolve_many(slugs)
    models = catalog.models.select(["model_id", "open_weights", "origin"])
    joined = resolved.join(models, "model_id", join_type="left outer").to_pandas()
    kind = pd.Series("open_row", index=joined.index)
    kind[joined["origin"] == "China"] = "open_china"
    kind[~joined["open_weights"].fillna(False).astype(bool)] = "closed"
    kind[joined["model_id"].isna()] = "unknown"
    return pa.table({"slug": joined["slug"].astype(str), "source_type": kind.astype(str)})


def _distinct_slugs(store: Path) -> list[str]:
    import duckdb

    glob = str(store / "requests" / "**" / "*.parquet")
    return [r[0] for r in duckdb.connect().execute("SELECT DISTINCT model FROM read_parquet(?)", [glob]).fetchall()]


def accounts(store: Path) -> pa.Table:
    return pq.read_table(next((store / "accounts").glob("part-*.parquet")), columns=["user_id", "country"])


# DuckDB SQL -------------------------------------------------------------------------------------

_SQL_BASE = """
CREATE TEMP VIEW r AS
SELECT CAST(date_trunc('week', ts) AS DATE) AS week, q.user_id,
       coalesce(prompt_tokens, 0) + coalesce(completion_tokens, 0) AS tokens, prompt_tokens,
       CASE WHEN coalesce(byok, false) THEN 0.0 ELSE coalesce(cost_usd, 0.0) END AS spend,
       coalesce(s.source_type, 'unknown') AS source_type, coalesce(q.country, a.country) AS country
FROM read_parquet($glob) q
LEFT JOIN slugs s ON q.model = s.slug
LEFT JOIN accts a ON q.user_id = a.user_id
"""
_SQL_SHARES = """
SELECT g.*, tokens / nullif(sum(tokens) OVER w, 0) AS share_tokens,
          requests / nullif(sum(requests) OVER w, 0) AS share_requests,
          spend / nullif(sum(spend) OVER w, 0) AS share_spend,
          users / nullif(p.period_users, 0) AS share_users
FROM (SELECT {keys}, sum(tokens) AS tokens, count(*) AS requests, sum(spend) AS spend,
             count(DISTINCT user_id) AS users FROM r GROUP BY ALL) g
{period}
WINDOW w AS ({over})
"""
_SQL = {
    "F1": _SQL_SHARES.format(
        keys="week, source_type", over="PARTITION BY week",
        period="JOIN (SELECT week, count(DISTINCT user_id) AS period_users FROM r GROUP BY week) p USING (week)",
    ) + " ORDER BY week, source_type",
    "F14": """
        SELECT week, count(prompt_tokens) AS requests, count(DISTINCT user_id) FILTER (prompt_tokens IS NOT NULL)
               AS users, avg(prompt_tokens) AS mean, quantile_cont(prompt_tokens, 0.5) AS p50,
               quantile_cont(prompt_tokens, 0.9) AS p90, quantile_cont(prompt_tokens, 0.99) AS p99
        FROM r GROUP BY week ORDER BY week""",
    "T3": "SELECT * FROM (" + _SQL_SHARES.format(
        keys="coalesce(country, 'unknown') AS country", over="",
        period="CROSS JOIN (SELECT count(DISTINCT user_id) AS period_users FROM r) p",
    )
    + ") WHERE country != 'unknown' ORDER BY tokens DESC, country LIMIT 10",
}


def run_sql(store: Path, threads: int | None) -> dict[str, pd.DataFrame]:
    import duckdb

    con = duckdb.connect(config={"threads": threads} if threads else {})
    con.execute("SET TimeZone = 'UTC'")
    con.register("slugs", source_types(_distinct_slugs(store)))
    con.register("accts", accounts(store))
    con.execute(_SQL_BASE.replace("$glob", "'" + str(store / "requests" / "**" / "*.parquet") + "'"))
    return {name: con.execute(sql).df() for name, sql in _SQL.items()}


# pandas -----------------------------------------------------------------------------------------


def _shares(g: pd.DataFrame, over: list[str]) -> pd.DataFrame:
    for w in ("tokens", "requests", "spend"):
        total = g.groupby(over)[w].transform("sum") if over else g[w].sum()
        g[f"share_{w}"] = g[w] / total.replace(0, float("nan")) if over else g[w] / (total or float("nan"))
    return g


def _pandas_frame(store: Path) -> pd.DataFrame:
    df = pd.read_parquet(store / "requests", columns=COLUMNS, engine="pyarrow")
    slugs = source_types(df["model"].unique().tolist()).to_pandas()
    df = df.merge(slugs, left_on="model", right_on="slug", how="left")
    accts = accounts(store).to_pandas().rename(columns={"country": "acct_country"})
    df = df.merge(accts, on="user_id", how="left")
    df["country"] = df["country"].fillna(df["acct_country"])
    df["week"] = df["ts"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time.dt.date
    df["tokens"] = df["prompt_tokens"].fillna(0) + df["completion_tokens"].fillna(0)
    df["spend"] = df["cost_usd"].fillna(0.0).where(~df["byok"].fillna(False).astype(bool), 0.0)
    return df


def _pandas_share_table(df: pd.DataFrame, keys: list[str], over: list[str]) -> pd.DataFrame:
    g = df.groupby(keys, dropna=False).agg(
        tokens=("tokens", "sum"), requests=("tokens", "size"), spend=("spend", "sum"), users=("user_id", "nunique")
    )
    g = g.reset_index()
    if over:
        g = g.merge(df.groupby(over)["user_id"].nunique().rename("period_users").reset_index(), on=over, how="left")
    else:
        g["period_users"] = df["user_id"].nunique()
    g["share_users"] = g["users"] / g["period_users"]
    return _shares(g.drop(columns="period_users"), over)


def run_pandas(store: Path, threads: int | None) -> dict[str, pd.DataFrame]:
    df = _pandas_frame(store)
    df["source_type"] = df["source_type"].fillna("unknown")
    f1 = _pandas_share_table(df, ["week", "source_type"], ["week"])
    prompts = df[df["prompt_tokens"].notna()]
    stats = prompts.groupby("week")["prompt_tokens"]
    f14 = pd.DataFrame({
        "requests": stats.size(), "users": prompts.groupby("week")["user_id"].nunique(), "mean": stats.mean(),
        **{name: stats.quantile(q) for name, q in QUANTILES.items()},
    }).reset_index()
    df["country"] = df["country"].fillna("unknown")
    t3 = _pandas_share_table(df, ["country"], [])
    t3 = t3[t3["country"] != "unknown"].sort_values(["tokens", "country"], ascending=[False, True]).head(10)
    return {"F1": f1, "F14": f14, "T3": t3.reset_index(drop=True)}


# polars -----------------------------------------------------------------------------------------


def run_polars(store: Path, threads: int | None) -> dict[str, pd.DataFrame]:
    import polars as pl

    lf = pl.scan_parquet(str(store / "requests" / "**" / "*.parquet"), hive_partitioning=False).select(COLUMNS)
    slugs = pl.from_arrow(source_types(_distinct_slugs(store))).lazy()
    accts = pl.from_arrow(accounts(store)).lazy().rename({"country": "acct_country"})
    r = (
        lf.join(slugs, left_on="model", right_on="slug", how="left")
        .join(accts, on="user_id", how="left")
        .with_columns(
            week=pl.col("ts").dt.convert_time_zone("UTC").dt.truncate("1w").dt.date(),
            tokens=pl.col("prompt_tokens").fill_null(0) + pl.col("completion_tokens").fill_null(0),
            spend=pl.when(pl.col("byok").fill_null(False)).then(0.0).otherwise(pl.col("cost_usd").fill_null(0.0)),
            source_type=pl.col("source_type").fill_null("unknown"),
            country=pl.col("country").fill_null(pl.col("acct_country")).fill_null("unknown"),
        )
    )

    def share_table(keys: list[str], over: list[str]) -> pl.LazyFrame:
        g = r.group_by(keys).agg(
            pl.col("tokens").sum(), pl.len().alias("requests"), pl.col("spend").sum(), pl.col("user_id").n_unique().alias("users")
        )
        share = {f"share_{w}": pl.col(w) / (pl.col(w).sum().over(over) if over else pl.col(w).sum()) for w in ("tokens", "requests", "spend")}
        everyone = r.group_by(over).agg(pl.col("user_id").n_unique().alias("period_users")) if over else (
            r.select(pl.col("user_id").n_unique().alias("period_users")))
        g = g.join(everyone, on=over, how="left") if over else g.join(everyone, how="cross")
        return g.with_columns(**share, share_users=pl.col("users") / pl.col("period_users")).drop("period_users")

    f1 = share_table(["week", "source_type"], ["week"]).sort(["week", "source_type"])
    prompts = r.filter(pl.col("prompt_tokens").is_not_null()).group_by("week").agg(
        pl.len().alias("requests"), pl.col("user_id").n_unique().alias("users"), pl.col("prompt_tokens").mean().alias("mean"),
        *(pl.col("prompt_tokens").quantile(q, interpolation="linear").alias(n) for n, q in QUANTILES.items()),
    ).sort("week")
    t3 = share_table(["country"], []).filter(pl.col("country") != "unknown").sort(
        ["tokens", "country"], descending=[True, False]
    ).head(10)
    frames = pl.collect_all([f1, prompts, t3])
    return {name: frame.to_pandas() for name, frame in zip(("F1", "F14", "T3"), frames, strict=True)}


# tokencensus ------------------------------------------------------------------------------------


def run_tokencensus(store: Path, threads: int | None) -> dict[str, pd.DataFrame]:
    from tokencensus import Study
    from tokencensus.engine import connect

    study = Study(store, engine=connect(threads=threads), options={"min_users": 0}, reuse=False)
    return {name: table.to_pandas() for name, table in study.figures(["F1", "F14", "T3"]).items()}


TOOLS: dict[str, Callable[[Path, int | None], dict[str, pd.DataFrame]]] = {
    "tokencensus": run_tokencensus,
    "duckdb_sql": run_sql,
    "polars": run_polars,
    "pandas": run_pandas,
}


def fingerprint(frames: dict[str, pd.DataFrame]) -> dict[str, float]:
    """A few sums per figure that every tool must reproduce (checked to 1e-6 relative)."""
    f1, f14, t3 = frames["F1"], frames["F14"], frames["T3"]
    return {
        "F1_rows": float(len(f1)), "F1_tokens": float(f1["tokens"].sum()), "F1_users": float(f1["users"].sum()),
        "F14_p99": float(f14["p99"].sum()), "F14_mean": float(f14["mean"].sum()),
        "T3_share": float(t3["share_tokens"].sum()), "T3_users": float(t3["users"].sum()),
        "F1_share_users": float(f1["share_users"].sum()), "T3_share_users": float(t3["share_users"].sum()),
    }
