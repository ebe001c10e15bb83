"""Groundwork of the classify stage: which prompts are sampled, how they are scrubbed, their
language, and the taxonomy their labels roll up through.

Only a deterministic hash sample of requests has its prompt kept (:mod:`.sampling`); that text is
scrubbed of personal data and secrets (:mod:`.scrub`) before it is stored, and its language is
detected (:mod:`.language`). Category labels come from :mod:`.taxonomy`.
"""

from tokencensus.classify.language import detect_languages
from tokencensus.classify.sampling import DEFAULT_RATE, in_sample, rate_for_target, sample_expr
from tokencensus.classify.scrub import PLACEHOLDERS, scrub, scrub_many
from tokencensus.classify.taxonomy import Taxonomy, TaxonomyError, load_taxonomy

__all__ = [
    "DEFAULT_RATE",
    "PLACEHOLDERS",
    "Taxonomy",
    "TaxonomyError",
    "detect_languages",
    "in_sample",
    "load_taxonomy",
    "rate_for_target",
    "sample_expr",
    "scrub",
    "scrub_many",
]
