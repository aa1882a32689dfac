"""The shared vocabulary of every language rule: English stopwords, the Snowball stemmer, and the
analyser that turns text into the content-word stems BM25 and the rules compare."""

import re
from collections.abc import Sequence
from functools import lru_cache

import bm25s
import Stemmer

from retrieval.text.sentences import NLTK_DATA

_STEMMER = Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def stopwords() -> list[str]:
    """NLTK's English list (bundled with llama-index): unlike bm25s's short default it drops
    question words ("what", "did", "about"), which would otherwise count as evidence. Read from its
    file, as `nltk.corpus.stopwords` would, without importing NLTK (see `sentences._punkt`)."""
    return (NLTK_DATA / "corpora" / "stopwords" / "english").read_text(encoding="utf-8").split()


@lru_cache(maxsize=1)
def stopword_set() -> frozenset[str]:
    """`stopwords()` for membership tests."""
    return frozenset(stopwords())


def analyse_many(texts: Sequence[str]) -> list[list[str]]:
    """Lowercased, stemmed content words, as BM25 sees them (stopwords removed)."""
    if not texts:
        return []
    return bm25s.tokenize(
        list(texts), stopwords=stopwords(), stemmer=_STEMMER, return_ids=False, show_progress=False
    )


def stem_words(words: Sequence[str]) -> list[str]:
    """The stems BM25 would give these lowercased words."""
    return _STEMMER.stemWords(list(words))


def analyse(text: str) -> list[str]:
    return analyse_many([text])[0]


# Months ------------------------------------------------------------------------------------------

MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
"""Month names, lower-case, as a regex alternation (dates in answers and questions)."""

# Names -------------------------------------------------------------------------------------------
# What counts as a name depends on the job, and each reading below was measured for its own
# (docs/quality.md): one pattern for all of them moved answers. They stand here together so that
# a change to one is made knowing the others.

PERSON_PARTICLES = ("da", "de", "di", "do", "dos", "du", "del", "della", "von", "van", "der", "den", "ter", "bin", "ibn", "al")
"""Lower-case words inside a person's name ("Luiz Inácio Lula da Silva", "Ursula von der Leyen"); not
"of" or "&", which join the names of bodies and places (`NAME_CONNECTORS`), never of a person."""

NAME = re.compile(rf"\b[A-Z][\w’'-]+(?:(?:[ -]|\s+(?:(?:{'|'.join(PERSON_PARTICLES)})\s+)+)[A-Z][\w’'-]+)+")
"""Two or more capitalised words joined by spaces or hyphens ("Dmitry Peskov", "Jean-Pierre"), or by
the particles of `PERSON_PARTICLES`: the answer a who-question wants (`answer_kinds`), and the
people an earlier turn named (`follow_ups`)."""

ENTITY = re.compile(r"\b[A-Z][\w’'&.-]*\w(?:\s+(?:of\s+|de\s+|&\s+)?[A-Z][\w’'&.-]*\w)*")
"""One or more capitalised words, with "of", "de" or "&" between them ("Bank of England", "AT&T"):
the company, team or title a which/what-question asks for (`answer_kinds`)."""

CAPITALISED_WORD = re.compile(r"\b[A-Z][\w’'-]+")
"""A single capitalised word: whether the passages offer any name at all (`answer_kinds.missing_answer`)."""

NAME_CONNECTORS = frozenset({*PERSON_PARTICLES, "of", "la", "le", "&"})
"""Lower-case words inside a name, a person's ("Ursula von der Leyen") or a body's or place's ("Bank
of England"), never significant on their own."""

SUBJECT_NAME = re.compile(rf"\b[A-Z][\w’'&.-]*\w(?:\s+(?:(?:{'|'.join(sorted(NAME_CONNECTORS))})\s+)*[A-Z][\w’'&.-]*\w)*")
"""The things a question names, connectors included, that a retrieved article must mention
(`subjects`): the widest reading, since a name it misses is a name the gate cannot check."""

CAPITALISED_TOKEN = re.compile(r"(?<![\w’'-])[A-Z][\w’'.-]*[\w]|(?<![\w’'-])[A-Z](?![\w])")
"""Any capitalised token, initials and "U.S." included: the names a claim states, each of which its
cited span must state too (`entities`)."""

NAME_RUN = re.compile(r"(?<![\w’'-])[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)+")
"""Two or more capitalised words not inside a hyphenated word: a person or body a claim or a second
sentence introduces (`entities`, the citation check's two-sentence spans)."""

ACRONYM = re.compile(r"\b[A-Z]{2,}\b")
"""An acronym ("NATO", "US"): a name a follow-up may ask about on its own (`follow_ups`)."""

LEADING_CAPITALISED = re.compile(r"[A-Z][\w’'-]+")
"""A capitalised first word, matched at a question's start, which is a name only when it is not a
stopword ("Russia asked …" yes, "What …" no) (`follow_ups`)."""
