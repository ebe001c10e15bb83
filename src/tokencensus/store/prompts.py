"""Prompt capture at ingest: the scrubbed text of the sampled requests, and nothing else.

Adapters of formats that log prompts hand over, beside the rows, what their text is made from
(:attr:`tokencensus.sources.base.AdapterBatch.prompts`). Only a request in the hash sample at the
ingest's rate (:mod:`tokencensus.classify.sampling`) has its text made at all, and it keeps the
text only after it has been scrubbed of personal data and secrets (:mod:`tokencensus.classify.scrub`)
and cut to what a classifier reads (:func:`tokencensus.classify.classifier.truncate`; scrubbing
comes first, so truncation cannot split a secret into pieces the scrubber would miss). Raw text
never reaches disk: it is made, scrubbed and cut in memory and only the result is written.

The kept prompts go to ``prompts/part-<batch>.parquet`` (request_id, text), committed by the
manifest with the rest of the batch. A request keeps the first prompt met for it, in the store
or in this ingest.

A *prompt log* (``prompts_only``) is a second log of requests another log already records, kept
for its prompt text, as a logging proxy writes beside an OpenRouter export. Its rows are not
stored again: each must match a request of the store (or of the same ingest) by request_id and
then counts as a duplicate; a row matching none is quarantined, so nothing is silently dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tokencensus.classify.classifier import truncate
from tokencensus.classify.sampling import in_sample_array
from tokencensus.classify.scrub import scrub_many
from tokencensus.schema import QUARANTINE
from tokencensus.sources._convert import RECORD_LIMIT
from tokencensus.sources.base import Prompts
from tokencensus.store.requests import connect, quote_sql

#: The stored prompts table.
PROMPTS = pa.schema([pa.field("request_id", pa.string(), nullable=False), pa.field("text", pa.string(), nullable=False)])

ORPHAN = "prompt log record of a request no request log in the store holds: ingest that log first or in the same call"

FLATTEN_ROWS = 4096  # sampled prompts made into text at once: a flattening query costs tens of ms at any size

_CLAIMS = pa.schema([("request_id", pa.string()), ("day", pa.date32()), ("_file", pa.int32()), ("_line", pa.int64()),
                     ("source", pa.string())])


class PromptStage:
    """Sampled, scrubbed prompts of one ingest, and the request ids a prompt log claims."""

    def __init__(self, tmp_dir: Path, rate: float) -> None:
        self.tmp_dir, self.rate = tmp_dir, rate
        self._con = connect(tmp_dir)  # bounded memory, spilling to tmp_dir
        self._kept: list[pa.Table] = []  # PROMPTS columns plus the file and the order they came in
        self._seq = 0
        self._claims: list[pa.Table] = []
        self._picked: list[tuple[pa.Table, Prompts]] = []  # sampled rows (request_id, _file, _seq), their prompts
        self._picked_rows = 0

    def add(self, table: pa.Table, prompts: Prompts | None, file_index: int) -> None:
        """Keep the scrubbed prompt of each sampled row of ``table`` that has one.

        The sample is drawn from the request ids first; only the sampled rows' prompts are then
        made into text (so the raw text of any other request is never built), a few thousand at
        a time."""
        if prompts is None or not table.num_rows:
            return
        wanted = in_sample_array(table["request_id"], self.rate, self._con)
        picked = int(wanted.sum())
        if not picked:
            return
        rows = pa.table({"request_id": table["request_id"].filter(wanted),
                         "_file": pa.repeat(pa.scalar(file_index, pa.int32()), picked),
                         "_seq": pa.array(range(self._seq, self._seq + picked), pa.int64())})
        self._picked.append((rows, prompts.pick(wanted)))
        self._seq += picked
        self._picked_rows += picked
        if self._picked_rows >= FLATTEN_ROWS:
            self._keep_picked()

    def _keep_picked(self) -> None:
        """Make the picked prompts into text, those of one format at once; keep them scrubbed."""
        picked, self._picked, self._picked_rows = self._picked, [], 0
        by_flatten: dict[Callable[[pa.Table], pa.Array], list[tuple[pa.Table, Prompts]]] = {}
        for rows, prompts in picked:
            by_flatten.setdefault(prompts.flatten, []).append((rows, prompts))
        for flatten, group in by_flatten.items():
            rows = pa.concat_tables([r for r, _ in group])
            rows = rows.append_column("text", flatten(pa.concat_tables([p.inputs for _, p in group])).cast(pa.string()))
            rows = rows.filter(pc.fill_null(pc.greater(pc.utf8_length(rows["text"]), 0), False))
            if rows.num_rows:
                texts = [truncate(text) for text in scrub_many(rows["text"].to_pylist())]
                self._kept.append(rows.set_column(rows.schema.get_field_index("text"), "text", pa.array(texts, pa.string())))

    def claim(self, table: pa.Table, file_index: int, lines: pa.Array) -> None:
        """Record the requests a prompt log's rows refer to, to be matched against the store."""
        self._claims.append(pa.table({
            "request_id": table["request_id"],
            "day": pc.cast(table["ts"], pa.date32()),
            "_file": pa.repeat(pa.scalar(file_index, pa.int32()), table.num_rows),
            "_line": lines.cast(pa.int64()),
            "source": table["source"],
        }, schema=_CLAIMS))

    def match_claims(self, request_parts: list[Path]) -> tuple[Counter[int], Counter[int], pa.Table]:
        """Claimed requests found in ``request_parts`` and those not found, per file, and the
        quarantine rows of the latter (whose prompts are dropped).

        Only the day partitions the claims fall in are read.
        """
        if not self._claims:
            return Counter(), Counter(), QUARANTINE.empty_table()
        claims = pa.concat_tables(self._claims)
        days = {day.isoformat() for day in pc.unique(claims["day"]).to_pylist()}
        parts = [p for p in request_parts if p.parent.name.removeprefix("date=") in days]
        con = self._con
        con.register("claims", claims)
        # the store's ids are probed against the claims (a hash table of the claims, not of the store)
        known = (f"SELECT DISTINCT request_id FROM read_parquet([{', '.join(map(quote_sql, parts))}]) "
                 "WHERE request_id IN (SELECT request_id FROM claims)"
                 if parts else "SELECT NULL::VARCHAR AS request_id WHERE false")
        rows = con.sql(f"""
            SELECT _file, _line, source, request_id, request_id IN ({known}) AS matched FROM claims ORDER BY _file, _line
        """).to_arrow_table()
        con.unregister("claims")
        orphans = rows.filter(pc.invert(rows["matched"]))
        found = Counter(pc.filter(rows["_file"], rows["matched"]).to_pylist())
        missing = Counter(orphans["_file"].to_pylist())
        self._drop(set(orphans["request_id"].to_pylist()))
        quarantine = pa.table({
            "source": orphans["source"],
            "location": pc.binary_join_element_wise("line ", pc.cast(orphans["_line"], pa.string()), ""),
            "field": pa.repeat(pa.scalar("request_id"), orphans.num_rows),
            "reason": pa.repeat(pa.scalar(ORPHAN), orphans.num_rows),
            "record": pc.utf8_slice_codeunits(orphans["request_id"], 0, RECORD_LIMIT),
        })
        return found, missing, quarantine.cast(QUARANTINE)

    def _drop(self, request_ids: set[str]) -> None:
        self._keep_picked()
        if request_ids:
            unwanted = pa.array(sorted(request_ids), pa.string())
            self._kept = [t.filter(pc.invert(pc.is_in(t["request_id"], unwanted))) for t in self._kept]

    def write(self, path: Path, stored_prompts: str | None) -> Counter[int]:
        """Write the kept prompts new to the store (the first per request wins) to ``path``.

        Returns how many each file contributed.
        """
        self._keep_picked()
        if not self._kept:
            return Counter()
        con = self._con
        con.register("kept", pa.concat_tables(self._kept))
        seen = (f"SELECT request_id FROM read_parquet({quote_sql(stored_prompts)})" if stored_prompts
                else "SELECT NULL::VARCHAR AS request_id WHERE false")
        new = con.sql(f"""
            SELECT request_id, arg_min(text, _seq) AS text, arg_min(_file, _seq) AS _file
            FROM kept WHERE request_id NOT IN ({seen}) GROUP BY request_id ORDER BY request_id
        """).to_arrow_table()
        con.unregister("kept")
        if new.num_rows:
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(new.select(PROMPTS.names).cast(PROMPTS), path, compression="zstd")
        return Counter(new["_file"].to_pylist())
