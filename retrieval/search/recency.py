"""News is about time: a bounded preference for the newest articles in the hybrid ranking.

A news question rarely says when it is about ("which country's prime minister announced she will
resign?"), and means now. Among archived articles years apart that share its words, search alone
picks the old ones as readily as the new (RealTime QA and FreshQA show the failure). On news-dev,
whose 764 articles span 2012-2023, this prior took recall@5 of the held-out weeks from 0.43 to 0.61
(docs/quality.md).

"Now" is the day the question is asked (the Discord message's day, the terminal's today, an
evaluation question's date), and articles published after it are not searched at all
(`HybridRetriever`). A question whose time words name days ("this week", "yesterday", "on
Monday": `retrieval.language.time_frames`) counts an article's age from those days, or, when no
article was published in them, from as many days ending with the newest article. One that names
none counts it from the newest article published by the asking day: for a bot fed as news happens
that is about the asking day, and for an archive it is the archive's own last day, so questions
about an archive are not all equally stale. A question that names a year before that newest
article's ("what happened in 2019?") asks about the past and gets no prior.
"""

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.language.time_frames import TimeFrame, time_frame
from retrieval.text.dates import asks_about_the_past, publication_day


@dataclass(frozen=True)
class RecencyPrior:
    """Adds `weight * exp(-age / days) / (rrf_k + 1)` to a candidate chunk's fused score, age in
    days before the question's time frame: at age 0 that is worth `weight` first places of one
    ranking, so a new article that search ranks low can rise over old ones, and an article search
    does not find at all gets nothing."""

    weight: float
    days: float

    def frame(self, query: str, asked_on: dt.date, newest_day: int | None) -> TimeFrame | None:
        """The days ages are counted from for `query` asked on `asked_on`, or None when no prior
        applies; `newest_day` is the newest publication day not after `asked_on`."""
        reference = newest_day if newest_day is not None else asked_on.toordinal()
        if self.weight <= 0 or asks_about_the_past(query, reference):
            return None
        named = time_frame(query, asked_on)
        if newest_day is None:
            return named
        if named is None:
            return TimeFrame(newest_day, newest_day)
        if newest_day < named.first_day:
            # Nothing was published in the days named: "this week" of an archive is its last week.
            return TimeFrame(newest_day - (named.last_day - named.first_day), newest_day)
        return named

    def boosts(self, days: dict[str, int | None], frame: TimeFrame | None, rrf_k: int) -> dict[str, float]:
        """Each candidate's lift. An undated candidate gets the mean lift of the dated ones: not
        knowing a document's date is no reason to rank it below the others, nor above them."""
        if frame is None:
            return dict.fromkeys(days, 0.0)
        lifts = {
            key: self.weight * math.exp(-frame.age(day) / self.days) / (rrf_k + 1)
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
