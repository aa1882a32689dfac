"""The things a question names, and which retrieved articles mention them.

On a large corpus, a question about something it does not hold still retrieves passages, and some
sentence of them always shares a word with it: "Why did Jacinda Ardern resign?", over articles
that never report her resignation, was answered with a congressman saying someone "should resign";
"What time is the Doomsday Clock set to?" with a Powerball drawing time. A question about Jacinda
Ardern is answered only if a retrieved article mentions her: a question none of whose retrieved
articles mentions (most of) what it names is not covered, and says what is missing (docs/quality.md,
"Questions about what the corpus does not hold").

A name is a run of capitalised words that the question does not capitalise only because it starts
with it ("Twitter announced …" names nothing this way; it is too often a common word). Left out:
the kind a "which" question asks for ("which South Asian country", "which Republican"), single
adjectives of nationality ("his Mexican counterpart": articles say "Mexico's"), months and days,
and the countries and unions nearly every news article mentions under one of several spellings
("Britain" in a question, "UK" in its answer). A word is mentioned when an article has its stem
(the word less a plural "s" and its final vowels, at least four letters) with a short ending
(`_ENDINGS`): "Russia" is found in "Russian", "Turkey" in "Turkish", "Oscars" in "Oscar", "Ardern"
in "Ardern's", "India" not in "indicated".
"""

import re
from dataclasses import dataclass

from retrieval.language.answer_kinds import TIME
from retrieval.language.vocabulary import NAME_CONNECTORS, SUBJECT_NAME, stopword_set

_ASKS_FOR = frozenset({"which", "what", "whose"})
_NATIONALITY = re.compile(r"(?:ian|ean|ese|ish|ican|ic)$|^(?:French|Dutch|Greek|Swiss|Thai|Welsh|Czech|German)$")
_EVERYWHERE = frozenset(
    {"america", "united states", "britain", "great britain", "united kingdom", "european union", "united nations"}
)
_ENDINGS = "[aeiouy]*(?:n|ns|s|se|sh|l)?"
"""What a name's word may end in where an article mentions it: a name's stem is its word less a
plural "s" and its final vowels, and articles write "Chinese", "Ukrainian", "Turkish", "Republicans",
"presidential"."""
_ENDS_SENTENCE = frozenset('.?!:"“')
_POSSESSIVE = re.compile(r"[’']s?$")
_COMPOUND_TAIL = re.compile(r"(?<=\w)-[a-z][\w-]*$")
"""The lower-case end of a compound: "Golden Globe-winning" names the Golden Globe, "Kremlin-backed"
the Kremlin; articles seldom write the compound itself."""


@dataclass(frozen=True)
class NamedSubject:
    """One thing a question names ("Aryna Sabalenka"), and the stems of its words that an article
    mentioning it has: each word less a plural "s" and its final vowels ("russ", "chin", "oscar")."""

    phrase: str
    stems: tuple[str, ...]

    def mentioned_in(self, lowered_text: str) -> bool:
        """Whether each stem begins a word of `lowered_text` (lower-cased) that ends in one of
        `_ENDINGS`: "Russia" is mentioned by "Russian", "India" not by "indicated"."""
        return all(re.search(rf"\b{re.escape(stem)}{_ENDINGS}\b", lowered_text) for stem in self.stems)


def named_subjects(question: str) -> tuple[NamedSubject, ...]:
    """The names in `question` that an article answering it must mention (see the module docstring)."""
    found = []
    for match in SUBJECT_NAME.finditer(question):
        written = [_COMPOUND_TAIL.sub("", word) for word in match.group().split()]
        before = question[: match.start()].split()
        while written and (written[0].lower() in stopword_set() or TIME.fullmatch(written[0])):
            before.append(written.pop(0))
        words = [word for word in written if not TIME.fullmatch(word)]
        if not words or before and before[-1].lower() in _ASKS_FOR:
            continue
        if len(words) == 1 and (not before or before[-1][-1] in _ENDS_SENTENCE or _NATIONALITY.search(words[0])):
            continue
        plain = [_plain(part) for word in words for part in _name_parts(word)]
        if " ".join(plain) in _EVERYWHERE:
            continue
        significant = [w for w in plain if len(w) >= 3 and w not in stopword_set() and w not in NAME_CONNECTORS]
        if significant:
            phrase = _POSSESSIVE.sub("", " ".join(written))
            found.append(NamedSubject(phrase, tuple(_stem(word) for word in significant)))
    return tuple(found)


def _name_parts(word: str) -> list[str]:
    """The parts of a hyphenated name that an article must mention, each on its own: the capitalised
    ones ("US-Mexico" is "US" and "Mexico", which an article may write "U.S.-Mexico" or "the border
    between the US and Mexico"; "three-Michelin" is "Michelin")."""
    parts = [part for part in word.split("-") if part]
    return parts if len(parts) < 2 else [part for part in parts if part[:1].isupper()]


def _stem(word: str) -> str:
    """`word` less a plural "s" and its final vowels, keeping at least four letters: "russia" → "russ",
    "india" → "indi", "oscars" → "oscar" (articles say "Oscar nominations"), "grammys" → "gramm"."""
    stem = (word[:-1] if word.endswith("s") and len(word) > 4 else word).rstrip("aeiouy")
    return stem if len(stem) >= 4 else word[: max(len(stem), min(len(word), 4))]


def _plain(word: str) -> str:
    """A name's word as it is matched: lower-case, without a possessive or the dots of "U.S."."""
    return _POSSESSIVE.sub("", word.lower()).replace(".", "").strip("’'-")


_WORD = re.compile(r"[^\W\d_][\w’'-]*")


def asked_about(question: str) -> tuple[str, ...]:
    """What `question` asks about, to group questions by: the names it gives (`named_subjects`), or,
    when it names nothing, its words less stopwords, as one phrase ("doomsday clock set"). A list of
    what people asked that the articles did not answer reads by these (`citebot gaps`)."""
    names = tuple(dict.fromkeys(subject.phrase for subject in named_subjects(question)))
    if names:
        return names
    words = [word for word in _WORD.findall(question.lower()) if len(word) >= 3 and word not in stopword_set()]
    return (" ".join(words),) if words else ()
