"""The answer stage's measured constants, in one place: what each trades and where it was measured
(docs/quality.md, "Tuning"). The knobs an operator sets are settings (`RetrievalSettings`:
`ANSWER_MIN_SCORE`, `ANSWER_MAX_SENTENCES`, `ANSWER_RECENCY_WEIGHT`, ...); these are the ones a
change must be measured for on the dev sets and a held-out half before it lands."""

SEMANTIC_WEIGHT = 0.6
"""Share of embedding similarity in `support_score`; the rest is IDF-weighted word recall."""

ANSWER_KIND_BONUS = 0.15
"""Added to a sentence that offers a phrase of the kind the question asks for (`answer_kinds`)."""

SPECIFIC_BONUS = 0.25
"""The bonus of the kinds of `answer_kinds.ANYWHERE` (durations): a "how long" question shares few
words with the sentence that answers it ("the meeting … lasted more than eight hours" for "How long
did the talks … go on?"), while the sentences naming its subject say nothing of how long. With
0.15 that sentence stayed below the answer's relative floor (docs/quality.md). Also that of a
number of the very thing a "how many …?" question counts ("the first pope to do so in six
centuries" for "… in how many centuries?"), which says more than any number near its words ("his
death at 95", "resigning in 2013")."""

MIN_WORDS = 6
"""Fewer words than this make a sentence weak evidence (`WEAK_ANSWER`)."""

WEAK_ANSWER = 0.7
"""Share of its score kept by a sentence of fewer than `MIN_WORDS` words, and by a question: a
question answers nothing, yet shares a question's words and form (on news-dev, "Jacinda Ardern
resigns: What happened?" was quoted before "… after taking the post in 2017"; docs/quality.md)."""

RESCORED = 8
"""Candidates of a question, the best by their stored vectors, that are embedded on their own and
scored again: a pooled sentence vector ranks well enough to find them, but a sentence embedded
alone is what the scores were measured on (docs/quality.md). 6 answered the single-question dev
sets as 8 does, but lost the follow-up that finds Peskov's "resounding" denial."""

RELATIVE_FLOOR = 0.7
"""An answer's further sentences score at least this share of its best one's."""

TRADE_OFF = 0.8
"""`Selection.diverse`'s weight of a sentence's score against its similarity to the sentences already
chosen: news articles repeat a question's framing in many sentences, and the one naming the answer
scores a little lower than those paraphrases (news-dev accuracy 0.432 -> 0.453, docs/quality.md)."""

CONTEXT_WEIGHT = 0.5
"""A follow-up's new sentences that answer its own words well enough (`RELATIVE_FLOOR` of the best)
are ordered this much by how they answer the conversation (its questions joined) and the rest by
the follow-up's own words: after "Who denied the request?", "and what did the Kremlin spokesman
say?" opened with "The Russian campaign … continues at a slower pace than the Kremlin expected"
before Peskov's "resounding 'no'" (docs/quality.md, "Follow-ups")."""
