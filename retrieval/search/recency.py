"""News is about time: a bounded preference for the newest articles in the hybrid ranking.

A news question rarely says when it is about ("which country's prime minister announced she will
resign?"), and means now. Among archived articles years apart that share its words, search alone
picks the old ones as readily as the new (RealTime QA and FreshQA show the failure). On news-dev,
whose 764 articles span 2012-2023, this prior took recall@5 of the held-out weeks from 0.43 to 0.61
(docs/quality.md).

"Now" is the newest publication date among the documents searched, never later than today: for a
bot fed as news happens that is about today, and for an archive it is the archive's own last day,
so questions about an archive are not all equally stale. A question that names an earlier year
("what happened in 2019?") asks about the past and gets no prior.
"""

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.text.dates import asks_about_the_past, publication_day


@dataclass(frozen=True)
class RecencyPrior:
    """Adds `weight * exp(-age / days) / (rrf_k + 1)` to a candidate chunk's fused score, age in
    days before the reference day: at age 0 that is worth `weight` first places of one ranking, so
    a new article that search ranks low can rise over old ones, and an article search does not
    find at all gets nothing."""

    weight: float
    days: float

    def reference_day(self, query: str, newest_day: int | None, today: int | None = None) -> int | None:
        """The day ages are counted from for `query`, or None when no prior applies."""
        if self.weight <= 0 or newest_day is None:
            return None
        reference = min(newest_day, today if today is not None else dt.date.today().toordinal())
        return None if asks_about_the_past(query, reference) else reference

    def boosts(self, days: dict[str, int | None], reference: int | None, rrf_k: int) -> dict[str, float]:
        """Each candidate's lift. An undated candidate gets the mean lift of the dated ones: not
        knowing a document's date is no reason to rank it below the others, nor above them."""
        if reference is None:
            return dict.fromkeys(days, 0.0)
        lifts = {
            key: self.weight * math.exp(-max(reference - day, 0) / self.days) / (rrf_k + 1)
            for key, day in days.items()
            if day is not None
        }
        unknown = sum(lifts.values()) / len(lifts) if lifts else 0.0
        return {key: lifts.get(key, unknown) for key in days}


@dataclass(frozen=True)
class SentenceRecency:
    """The same preference where an answer picks its sentences: a sentence's score is multiplied by
    `1 - weight * (1 - exp(-age / days))`, age in days before the newest article among the
    candidates, so a sentence of a years-old article keeps at least `1 - weight` of its score.

    Retrieval's prior brings the newest articles into the top passages, but older passages that
    share the question's words come along, and their sentences restate it as well as the new ones
    ("Sears said … 'substantial doubt'" of 2017 against Bed Bath & Beyond's of 2023). On news-dev
    this took answer accuracy from 0.379 to 0.411 with no change on the seed and typed sets
    (docs/quality.md). Relative to the newest candidate, not to today: an archive's answers are not
    all equally stale, and candidates of one time are left as they were.
    """

    weight: float
    days: float

    def factors(self, query: str, published: Sequence[str]) -> list[float]:
        """One factor per candidate, by its article's stored publication date. An undated one gets
        the mean of the dated ones' factors, as in `RecencyPrior.boosts`."""
        days = [publication_day(p) for p in published]
        known = [d for d in days if d is not None]
        if self.weight <= 0 or not known or asks_about_the_past(query, max(known)):
            return [1.0] * len(days)
        newest = max(known)
        dated = [1 - self.weight * (1 - math.exp(-(newest - d) / self.days)) for d in known]
        unknown = sum(dated) / len(dated)
        factors = iter(dated)
        return [next(factors) if d is not None else unknown for d in days]
