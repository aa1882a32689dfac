"""What kind of phrase answers a question, and whether a sentence offers one.

A sentence that only restates the question answers nothing: "How long did the talks go on?" is
answered by "lasted more than eight hours", not by "Sullivan raised the issue in his meeting".
The extractive answerer rewards a sentence that holds a phrase of the expected kind (a duration,
a name, a number, a date, a place, a cause) standing near the question's own words, and that
phrase must say something the question does not (novelty): "Kevin McCarthy" in the question does
not make a sentence naming Kevin McCarthy an answer to "which state does he represent?".

An answer to a question asking for a number, a duration, a date or a name that holds none is no
answer ("How many troops did China send?" answered with "Russia would have asked China for military
support"): the extractive answerer abstains and says what is missing (`missing_answer`).

Rules, not a model: measured on the seed questions, the typed dev questions and news-dev
(docs/quality.md, "Answer types"); a packaged NER model would cost a download-free wheel and
tens of milliseconds per question for the same cues.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import dropwhile

from retrieval.language.places import COUNTRY, KNOWN_PLACE, US_STATE
from retrieval.language.vocabulary import CAPITALISED_WORD, ENTITY, MONTHS, NAME, analyse, stem_words, stopword_set, stopwords
from retrieval.text.dates import is_a_year

_COUNT = r"(?:\d[\d,.]*|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|a few|half an?" \
    r"|first|second|third|fourth)"
_UNIT = r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centuries)"

DURATION = re.compile(rf"\b{_COUNT}[\s-]+(?:\w+[\s-]+)?{_UNIT}\b", re.I)
NUMBER = re.compile(
    r"\d[\d,.]*|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion)\b", re.I
)
TIME = re.compile(
    rf"\b(\d{{4}}|monday|tuesday|wednesday|thursday|friday|saturday|sunday|{MONTHS}|yesterday|today|week"
    rf"|month|year)\b|\b\d{{1,2}}\s+(?:{MONTHS})\b|\b(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?\s+\d{{1,2}}\b",
    re.I,
)
DATE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{MONTHS})\b|\b(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
    rf"|\b(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.\s+\d{{1,2}}\b|\b\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?\b",
    re.I,
)
"""A calendar date, a day of a month ("14 March", "July 23", "Jan. 8", "3/14"): what "on what date …?"
asks, which a weekday does not answer ("Rolen was named to baseball's Hall of Fame Tuesday night"
for "On what date are the induction ceremonies held?")."""
CAUSE = re.compile(
    r"\b(?:because|due to|as a result of|caused by|blam(?:e|ed|es|ing)|citing|cited|owing to|in order to|so that"
    r"|the reason|reasons? (?:for|why))\b",
    re.I,
)
"""What says why: "Why did Southwest cancel so many flights?" was answered "Southwest canceled more
than 2,500 flights", which restates it, before "… service problems caused by short staffing";
"Why is Jacinda Ardern resigning?" opened with "That's part of why … Ardern's decision to resign"
before "… quitting her job as prime minister because of professional burnout"."""
_WORKS = (r"(?:film|movie|show|series|sitcom|song|single|album|book|memoir|novel|play|musical|documentary"
          r"|episode|podcast|painting|poem|opera)s?")
_TITLE_WORD = r"(?:[A-Z0-9][\w’'&:,-]*|[a-z]{1,3})"
TITLE = re.compile(
    rf"[\"“]({_TITLE_WORD}(?:\s+{_TITLE_WORD}){{0,9}}?)[,.]?[\"”]"
    rf"|(?<![\w’'])['‘]({_TITLE_WORD}(?:\s+{_TITLE_WORD}){{0,9}}?)[,.]?['’](?![\w’'])"
)
"""The title of a work, as news writes it: in quotation marks, each longer word capitalised
("“Everything Everywhere All at Once”", "'Spare'"), which a quoted remark is not ("“lucid and
vigilant”"). What "which film …?" or "what is the name of his memoir?" asks for: a capitalised name
near the question's words is as often the film's star ("Michelle Yeoh") or a word opening a
headline ("Drama")."""
PLACE = re.compile(
    r"\b(?:in|at|from|to|near|across)\s+(?:(?:parts?|much|most|all|areas?|some)\s+of\s+)?(?:the\s+)?"
    r"[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*|" + KNOWN_PLACE
)
"""A place: a capitalised name after a preposition of place, or a country or US state anywhere
(`places.KNOWN_PLACE`: "Germany this week agreed to send … tanks" answers "which country …?")."""

# Up to two words between "which" and the noun that says what is asked ("which European country",
# "which US state"), but no verb or article: "what was the state of …" asks for no place.
_QUALIFIERS = r"(?:(?!(?:is|was|are|were|the|a|an|did|does|do|has|have|had|will|would|of)\b)[a-z.]+ ){0,2}"

# "who", "when" and "where" ask only where a question starts ("and who denied it?") or after a
# preposition ("by whom", "since when"): "What did Peskov answer when asked …?" asks for no date.
_OPENS = r"(?:^\W*(?:(?:and|but|so|then)\s+)?|\b(?:by|for|from|to|with|since|until|of)\s+)"
_ASKS = (
    (re.compile(r"\bhow long\b|\bhow many (?:seconds|minutes|hours|days|weeks|months|years)\b"),
     DURATION),
    (re.compile(_OPENS + r"who(?:m|se)?\b"), NAME),
    (re.compile(r"\bhow (?:many|much|old)\b"), NUMBER),
    (re.compile(r"\b(?:what|which) date\b"), DATE),
    (re.compile(_OPENS + r"when\b|\b(?:what|which) (?:day|time|year|month)\b"), TIME),
    (re.compile(_OPENS + r"where\b|\b(?:which|what) " + _QUALIFIERS
                + r"(?:city|country|state|place|venue|region|capital|town|nation|part|area|county|province)\b"), PLACE),
    (re.compile(_OPENS + r"why\b|\bwhat (?:caused|led to|prompted|triggered)\b"), CAUSE),
    (re.compile(r"\b(?:which|what) (?:company|brand|team|film|movie|group|organi[sz]ation|newspaper|agency|journal"
                r"|platform|network|party|chain|club)\b"), ENTITY),
    (re.compile(r"\bwhat(?:'s|’s| is| was| are| were) (?:the |their |its |his |her )?(?:name|title)s? of\b"
                r"|\bwhat (?:is|was|are|were) [^?]{1,60}\b(?:called|titled|named)\b"), ENTITY),
)
_NEAR_WORDS = 5
# The words of a question that say what form its answer takes, not what it is about: "kind" in
# "what kind of document …?", "long" in "how long …?" and the "last" or "take" closing it, "day" in
# "on which day …?". A sentence holding them is no likelier to answer ("In the documents sent …"
# beat "sent via diplomatic cable" for the word "kind"'s weight; "How long will the sanctions
# last?" was answered with the meeting that "lasted more than eight hours"), so they are left out
# of the terms sentences are matched against.
_FORM_WORDS = re.compile(
    r"\b(?:what|which)\s+(kind|type|sort|form)s?\s+of\b|\bhow\s+(long)\b(?:.*\b(last|take)\s*\W*$)?"
    r"|\b(?:what|which)\s+(day|date|time)\b",
    re.I,
)
ANYWHERE = frozenset({DURATION, CAUSE, DATE})
"""Kinds whose phrase answers from anywhere in a sentence sharing the question's terms: a duration
is rare in news text ("The meeting … in the Italian capital, lasted more than eight hours" answers
"How long was Sullivan's meeting with Yang Jiechi?" fourteen words after "meeting"), and so is a
cause ("… service problems caused by short staffing even before the thousands of canceled
flights"), where a name far from the question's words usually belongs to someone else. For the
same reason the ranking also believes such a phrase in the sentence after the one naming the
question's subject, and weighs it more (`retrieval.answer.ranking`)."""
_WORD = re.compile(r"\w\w+")
_FRAME_WORDS = {"in", "at", "from", "to", "near", "across", "the"}


def expected_answer(question: str) -> re.Pattern[str] | None:
    """The kind of phrase that answers `question`, or None when its form says nothing of it
    ("what did he say?")."""
    lowered = question.lower()
    return next((kind for asks, kind in _ASKS if asks.search(lowered)), None)


_HOW_MANY = re.compile(r"\bhow\s+many\s+([^?.,;:]*)", re.I)
_TOKEN = re.compile(r"\w+")


def counted_noun(question: str) -> str | None:
    """The stem of what a "how many …?" question counts, the last word before its verb ("centuri"
    in "… in how many centuries?", "nomin" in "How many Oscar nominations did …?"), or None."""
    match = _HOW_MANY.search(question)
    if match is None:
        return None
    counted: list[str] = []
    for word in _TOKEN.findall(match.group(1).lower()):
        if word in stopword_set():
            break
        counted.append(word)
    return stem_words(counted[-1:])[0] if counted else None


def counts(text: str, noun: str) -> bool:
    """Whether `text` gives a number of `noun` (a stem, `counted_noun`): the noun right after the
    number or one word later ("six centuries", "400,000 copies", "11 Oscar nominations")."""
    words = _TOKEN.findall(text)
    stems = stem_words([w.lower() for w in words])
    return any(NUMBER.fullmatch(word) and noun in stems[i + 1 : i + 3] for i, word in enumerate(words))


def form_terms(question: str) -> set[str]:
    """The stemmed words of `question` that only say what form its answer takes (`_FORM_WORDS`)."""
    words = [word.lower() for match in _FORM_WORDS.finditer(question) for word in match.groups() if word]
    return set(stem_words(words))


def _stems(phrase: str) -> set[str]:
    """The stemmed words of a phrase, to compare with what the question already says."""
    return set(stem_words([w.lower() for w in _WORD.findall(phrase)]))


def question_names(question: str) -> set[str]:
    """The stemmed words of the names `question` writes (capitalised words after its first)."""
    words = _WORD.findall(question)[1:]
    return _stems(" ".join(w for w in words if w[0].isupper())) - _common_words()


def question_terms(question: str) -> set[str]:
    """The stemmed words a sentence is matched against for `question`: its own, less those that
    only say what form its answer takes (`form_terms`)."""
    return set(analyse(question)) - form_terms(question)


def offers_answer(text: str, question_terms: set[str], kind: re.Pattern[str], continues: bool = False) -> bool:
    """True when `text` holds a phrase of `kind` that the question does not already say, within a
    few words of one of the question's (stemmed) terms: "Dmitry Peskov, had denied" answers "who
    denied?"; a name far from the verb usually belongs to someone else. Anywhere in the sentence
    for the kinds of `ANYWHERE`, and for a sentence that `continues` the one before it, which names
    the question's subject ("Sullivan … and … Yang Jiechi met this Monday in Rome. The meeting …
    lasted more than eight hours"), when it shares none of the question's words itself."""
    return bool(answer_phrases(text, question_terms, kind, continues))


def answer_phrases(
    text: str, question_terms: set[str], kind: re.Pattern[str], continues: bool = False
) -> list[tuple[int, int]]:
    """The spans of `text` that `offers_answer` accepts, nearest the question's words first. The
    nearness counts only the question's words outside every phrase of the kind: "hours" in "How
    many hours did the meeting last?" is the unit asked for, not what it is about ("lasted more than
    eight hours – with an hour and a half break")."""
    words = list(_WORD.finditer(text))
    stems = stem_words([w.group().lower() for w in words])
    hits = [i for i, stem in enumerate(stems) if stem in question_terms]
    if not hits and not continues:
        return []
    matches = [(match, _word_range(words, match)) for match in kind.finditer(text)]
    inside = {i for _, (first, last) in matches for i in range(first, last + 1)}
    topical = [h for h in hits if h not in inside] or hits
    found: list[tuple[int, tuple[int, int]]] = []
    for match, (first, last) in matches:
        said = _stems(match.group())
        if said and said <= question_terms | _FRAME_WORDS:
            continue
        if not hits:
            found.append((0, match.span()))
            continue
        near = len(words) if kind in ANYWHERE else _NEAR_WORDS
        if any(first - near <= h <= last + near and not first <= h <= last for h in hits):
            found.append((min(min(abs(h - first), abs(h - last)) for h in topical), match.span()))
    return [span for _, span in sorted(found, key=lambda item: item[0])]


def answer_span(question: str, text: str) -> tuple[int, int] | None:
    """Where in `text` the phrase stands that answers `question` on its own (`answer_spans`' first),
    or None: whom an earlier answer named."""
    return next(iter(answer_spans(question, text)), None)


_ASKS_TITLE = re.compile(
    r"\b(?:which|what) " + _QUALIFIERS + _WORKS + r"\b|\b(?:name|title)s? of\b[^?]{0,40}?\b" + _WORKS
    + r"\b|\bwhat (?:is|was|are|were) [^?]{0,40}?\b" + _WORKS + r"\b[^?]{0,60}\b(?:called|titled|named)\b",
    re.I,
)


def answer_spans(question: str, text: str) -> list[tuple[int, int]]:
    """The phrases of `text` that answer `question` on its own (`answer_phrases`, cut by
    `short_phrase`), nearest the question's words first. A question asking for a work's title
    ("which film …?", "what is the name of his memoir?") is answered by a quoted title (`TITLE`),
    not by any capitalised name, though a sentence is ranked for it as for any named thing."""
    kind = TITLE if _ASKS_TITLE.search(question) else expected_answer(question)
    if kind is None:
        return []
    names = question_names(question)
    cut = (short_phrase(text, phrase, kind, names) for phrase in answer_phrases(text, question_terms(question), kind))
    return [span for span in cut if span is not None and not left_behind(question, text, span)]


_FROM_BEFORE = re.compile(r"\bfrom\s+(?:[a-z]+\s+){0,2}$", re.I)
_TO_A_NUMBER_AFTER = re.compile(
    r"^[^.;:!?]{0,40}?\bto\s+(?:[a-z]+\s+){0,2}[$£€]?(?:\d|(?:one|two|three|four|five|six|seven|eight|nine|ten)\b)",
    re.I,
)
_CHANGE_WORDS = frozenset(stem_words([
    "rose", "rise", "risen", "fell", "fall", "fallen", "increased", "decreased", "dropped", "jumped", "climbed",
    "grew", "grown", "sank", "sunk", "moved", "cut", "reduced", "raised", "lowered", "shrank", "swelled", "surged",
    "soared", "plunged", "slipped", "slid", "boosted", "lifted", "hiked", "changed", "shifted", "went", "worsened",
    "improved", "expanded", "extended", "forward", "back", "up", "down",
]))
"""Words telling that what follows them, "from X to Y", is a change: a value left for another."""
_ASKS_FROM = re.compile(r"\bfrom\b", re.I)


def left_behind(question: str, text: str, span: tuple[int, int]) -> bool:
    """Whether the phrase `text[span]`, holding a number, is the value a change started from:
    "moved forward from 100 seconds to midnight to 90 seconds to midnight" tells that the clock
    stands at 90, so "100 seconds" answers neither "moved to how many seconds …?" nor "how many
    seconds …?" (news reports a change as "rose / fell / moved … from X to Y": a price, a count, a
    forecast, a date moved). A range ("from 1977 to 1982", "ranged from 500 to 2,000") has no such
    word before it, and is left alone; a question asking what it was before says "from" itself."""
    before = _FROM_BEFORE.search(text[: span[0]])
    if (
        before is None or not NUMBER.search(text[span[0] : span[1]])
        or _TO_A_NUMBER_AFTER.match(text[span[1] :]) is None or _ASKS_FROM.search(question)
    ):
        return False
    told_before = [w.lower() for w in _TOKEN.findall(text[: before.start()])[-3:]]
    return bool(_CHANGE_WORDS & set(stem_words(told_before)))


_ASKED_PLACE = re.compile(r"\b(?:which|what) " + _QUALIFIERS + r"(country|nation|state)\b", re.I)


_US = {"us", "u.s.", "american"}
_UNIT_WORD = re.compile(_UNIT, re.I)
_ONE_CAPITALISED_WORD = re.compile(r"[A-Z][a-z][\w’'-]*")


def contradicts_the_asked_noun(question: str, text: str, span: tuple[int, int]) -> bool:
    """Whether the phrase `text[span]` is plainly not of the thing the question's noun names, so it
    is no answer to it: not a country for "which country …?" ("Capitol", "North Carolina"), not a
    US state for "which state …?" or "which US state …?" (a qualified one, "which Australian state",
    is not checked), or a number of something else for "how many <things> …?" ("an hour and a half"
    or "eight hours" for weeks; "40 were killed" says nothing else, so it stands for "how many
    people …?"), or a year for "how many / how much / how old …?" ("2017" for "How old was Ardern
    when she was elected?")."""
    phrase = text[span[0] : span[1]]
    if is_a_year(phrase) and expected_answer(question) is NUMBER:
        return not fits_the_asked_noun(question, text, span)
    place = _ASKED_PLACE.search(question)
    if place is not None:
        if place[1].lower() != "state":
            return not COUNTRY.search(phrase)
        qualifiers = set(question[place.start() : place.start(1)].lower().split()[1:])
        return qualifiers <= _US and not US_STATE.search(phrase)
    noun = counted_noun(question)
    if noun is None or fits_the_asked_noun(question, text, span):
        return False
    units = [w.lower() for w in _TOKEN.findall(phrase) if _UNIT_WORD.fullmatch(w)]
    if units:
        return noun not in stem_words(units)
    words = [w.lower() for w in _TOKEN.findall(text[span[0] :])]
    after = list(dropwhile(lambda w: NUMBER.fullmatch(w) is not None, words))[:2]
    return bool(after) and after[0] not in stopword_set() and noun not in stem_words(after)


def written_as_a_common_word(phrase: str, texts: Sequence[str]) -> bool:
    """Whether `phrase` is one capitalised word that `texts` also write in lower case: an ordinary
    word capitalised because it opens a sentence or a headline ("According to the first information
    …" for "which newspaper …?", "Researchers studied …" for "in which journal …?"), not a name,
    which news capitalises wherever it stands ("Amazon", "Brazil"). An acronym ("US") is not one."""
    word = phrase.strip()
    if not _ONE_CAPITALISED_WORD.fullmatch(word):
        return False
    lower = re.compile(rf"(?<![\w’']){re.escape(word.lower())}(?![\w’'])")
    return any(lower.search(text) for text in texts)


def refused_as_short_answer(question: str, text: str, span: tuple[int, int], documents: Sequence[str]) -> bool:
    """Whether the phrase `text[span]` may not be shown in bold as the answer to `question`, whoever
    found it (the short answer's rule or the LLM reader): it is plainly not of the asked noun
    (`contradicts_the_asked_noun`), the value a change started from (`left_behind`), or a word that
    `documents`, the retrieved articles, also write in lower case (`written_as_a_common_word`)."""
    return (
        contradicts_the_asked_noun(question, text, span)
        or left_behind(question, text, span)
        or written_as_a_common_word(text[span[0] : span[1]], documents)
    )


def fits_the_asked_noun(question: str, text: str, span: tuple[int, int]) -> bool:
    """Whether the phrase `text[span]` is of the very thing the question's noun names: a country
    for "which country …?" ("Germany", not "Kyiv"), a US state for "which state …?" ("Tennessee",
    not "Canada"), a number of what "how many …?" counts ("six centuries", not "2013")."""
    phrase = text[span[0] : span[1]]
    place = _ASKED_PLACE.search(question)
    if place is not None:
        return bool((US_STATE if place[1].lower() == "state" else COUNTRY).search(phrase))
    noun = counted_noun(question)
    return noun is not None and counts(" ".join(_TOKEN.findall(text[span[0] :])[:3]), noun)


def _word_range(words: Sequence[re.Match[str]], match: re.Match[str]) -> tuple[int, int]:
    """The indexes of the first and last of `words` that `match` covers."""
    first = next((i for i, w in enumerate(words) if w.end() > match.start()), len(words))
    last = max((i for i, w in enumerate(words) if w.start() < match.end()), default=first)
    return first, last


_SHORT_KINDS = frozenset({NAME, ENTITY, TITLE, PLACE, NUMBER, TIME, DATE, DURATION})
"""Kinds whose phrase is an answer by itself ("Luke Humphries", "12,000", "January 5"); a cause is
a clause, which the sentence says better."""
_LEADING_LOWER = re.compile(r"^(?:[a-z][\w’'-]*\s+)+")
_CAPITALISED_NAME_WORD = re.compile(
    rf"\b(?!(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|{MONTHS})\b)[A-Z][\w’'&.-]*", re.I
)
_MONEY_BEFORE = re.compile(r"[$£€]$")
_SCALE_AFTER = re.compile(r"^(?:\s*%|\s+(?:percent|per cent|hundred|thousand|million|billion|trillion)\b)", re.I)
_NAMED_TIME = re.compile(rf"\d|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|{MONTHS})\b", re.I)
_AND_A_HALF = re.compile(r"^\s+and\s+a\s+half\b", re.I)
_POSSESSIVE = re.compile(r"[’']s?$")


def short_phrase(
    text: str, span: tuple[int, int], kind: re.Pattern[str], question_names: set[str]
) -> tuple[int, int] | None:
    """The part of the phrase `text[span]` of `kind` that answers on its own, or None when it says
    too little alone: a place without "in the" ("in the San Francisco Bay Area" gives "San
    Francisco Bay Area"), a number with its currency and scale ("$1.35 billion"), a date that names
    a day, month or year ("week" alone does not, nor "today", which is the article's), a name
    without the words that open a sentence ("On Monday, Russia …" names no one) or its possessive,
    and none that shares a word with `question_names`, the names the question writes itself
    ("Dmitri Peskov" does not answer "Who collected Peskov's words?")."""
    if kind not in _SHORT_KINDS:
        return None
    start, end = span
    if kind is PLACE:
        lead = _LEADING_LOWER.match(text[start:end])
        start += lead.end() if lead else 0
    if kind in (NAME, ENTITY):
        start += _leading_common_words(text[start:end])
        possessive = _POSSESSIVE.search(text[start:end])
        end -= len(possessive.group()) if possessive else 0
        if not _CAPITALISED_NAME_WORD.search(text[start:end]) or _stems(text[start:end]) & question_names:
            return None
    if kind is TITLE:
        match = kind.match(text, start)
        if match is not None:
            group = 1 if match.group(1) is not None else 2
            start, end = match.start(group), match.end(group)
            end -= len(text[start:end]) - len(text[start:end].rstrip(",."))
    if kind is NUMBER:
        start -= 1 if _MONEY_BEFORE.search(text[:start]) else 0
        end -= len(text[start:end]) - len(text[start:end].rstrip(".,"))
        scale = _SCALE_AFTER.match(text[end:])
        end += scale.end() if scale else 0
    if kind is DURATION:
        half = _AND_A_HALF.match(text[end:])
        end += half.end() if half else 0
    if kind is TIME and not _NAMED_TIME.search(text[start:end]):
        return None
    return (start, end) if text[start:end].strip() else None


# What an answer must hold for the decisive kinds. Looser than the ranking's patterns, because a
# false "missing" turns a right answer into an abstention: a number may be a word ("dozens"), a
# date a time of day ("at noon") or a relative one ("last week"), a duration open-ended ("since
# 2014", "for decades"), and a name a single capitalised word anywhere ("Peskov", "Lula").
_ANY_NUMBER = re.compile(NUMBER.pattern + r"|\b(dozens?|scores|several|handful|hundreds|thousands|millions|billions)\b", re.I)
_ANY_TIME = re.compile(
    TIME.pattern + r"|\b(noon|midnight|morning|afternoon|evening|night|tonight|tomorrow|weekend|ago|recently|earlier"
    r"|later|since|until|season)\b|\b\d{1,2}(:\d{2})?\s*[ap]\.?m\b",
    re.I,
)
# A unit after these words names a point in time, not a length of it: "In recent days, the
# spokesman … Liu Pengyu" answered "How long has Liu Pengyu been the embassy's spokesman?".
_POINT_IN_TIME = r"(?<!\brecent\s)(?<!\bpast\s)(?<!\blast\s)(?<!\bnext\s)(?<!\bcoming\s)(?<!\bthese\s)(?<!\bthis\s)"
# "for" counts before a number or a span ("for two weeks", "for the past year"), not before any word
# ("asked … for military assistance" gave Peskov's sentence a length of time).
_ANY_DURATION = re.compile(
    DURATION.pattern + rf"|\b(since|until)\s+\w+|\bfor\s+(?:{_COUNT}|the\s+(?:past|last)|some|a\s+while)\b"
    rf"|{_POINT_IN_TIME}\b{_UNIT}\b|\b(decades?|centuries|ages|long|briefly)\b",
    re.I,
)


@dataclass(frozen=True)
class _Decisive:
    noun: str
    holds: re.Pattern[str]


_DECISIVE = {
    DURATION: _Decisive("length of time", _ANY_DURATION),
    NAME: _Decisive("name", CAPITALISED_WORD),
    NUMBER: _Decisive("number", _ANY_NUMBER),
    TIME: _Decisive("date", _ANY_TIME),
    DATE: _Decisive("date", _ANY_TIME),
}
"""Kinds that an answer either holds or lacks. A place or a named thing can be said in words the
rules do not see ("the Brazilian soccer icon" answers "which country?", "New Zealand Prime Minister
Ardern" has no "in"), so an answer without one is not refused: refusing it cost two right answers of
95 on news-dev."""


@dataclass(frozen=True)
class AnswerSentence:
    """A sentence of an answer, with the sentence before it in its document ("" for the first),
    which may name the subject it tells of ("Sullivan … and … Yang Jiechi met this Monday in Rome."
    then "The meeting … lasted more than eight hours")."""

    text: str
    before: str = ""


_ASKS_MONEY = re.compile(
    r"\bhow much (?:money\b|(?:[\w’'-]+ ){0,6}?(?:cost|costs|pay|pays|paid|earn|earns|earned|spend|spends|spent"
    r"|charge|charges|charged|raise|raises|raised)\b)"
    r"|\bwhat (?:is|was|are|were|will be) (?:the |its |their |his |her |[\w’'.-]+(?:’s|'s) )?(?:[\w-]+ ){0,2}?"
    r"(?:revenues?|price|cost|profits?|salary|valuation|budget|fine|net worth)\b",
    re.I,
)
"""A question asking for an amount of money: what something costs, pays or earns ("How much does
the Cybertruck cost?"), or what a revenue, price, profit or budget was ("What was Alphabet's quarterly
revenue …?", which "posted its second quarterly revenue decline" and "its stock was up 2%" do not
answer)."""
_ANY_MONEY = re.compile(
    r"[$£€¥₹]\s?\d[\d,.]*|\b(?:USD|EUR|GBP)\s?\d[\d,.]*|\b(?:thousand|million|billion|trillion|bn)s?\b"
    r"|\b\d[\d,.]*\s?(?:k|m|bn)\b|\b(?:dollars?|euros?|pounds|pence|yen|yuan|renminbi|rupees?|francs?|cents?|bucks"
    r"|free|nothing)\b",
    re.I,
)
"""What an answer about money must hold, loosely: a currency sign, a currency's name or a scale
("$80,000", "1.2 billion", "40 euros"), or that it costs nothing."""
_MONEY = _Decisive("amount of money", _ANY_MONEY)
_OF_WHAT_IS_NAMED = (_DECISIVE[DURATION], _DECISIVE[NUMBER])
"""Kinds whose phrase answers only of what the question names: a length of time or a number is
said of many things in one article, a name or a date less often of the wrong one."""


def _decisive(question: str) -> _Decisive | None:
    """What an answer to `question` must hold, or None when its form does not say."""
    if _ASKS_MONEY.search(question):
        return _MONEY
    kind = expected_answer(question)
    return _DECISIVE.get(kind) if kind is not None else None


def missing_answer(question: str, sentences: Sequence[AnswerSentence]) -> str | None:
    """What `question` asks for that none of `sentences` gives ("number" for "how many troops …?"
    answered only with sentences about troops, "amount of money" for a revenue answered with a
    share price's rise), or None when one gives it or the kind is not decisive.
    A length of time or a number counts for a question naming someone or something only in a
    sentence that names it too, or follows one that does: "How long did Peskov's press conference
    last?" is not answered by the Rome meeting that "lasted more than eight hours" (and "no … final
    press conference" was held), nor by Peskov asking "for military assistance"; "How old was Pope
    Benedict when he died?" not by "Japan's Kane Tanaka … dies at 119".

    Anywhere in a sentence, and any phrase of the kind the question does not already say: this
    refuses an answer, so it errs towards letting one through."""
    decisive = _decisive(question)
    if decisive is None:
        return None
    said = set(analyse(question)) | _common_words()
    names = question_names(question) if decisive in _OF_WHAT_IS_NAMED else set()
    for sentence in sentences:
        if names and not names & _stems(f"{sentence.before} {sentence.text}"):
            continue
        for match in decisive.holds.finditer(sentence.text):
            if not set(stem_words(_TOKEN.findall(match.group().lower()))) <= said:
                return None
    return decisive.noun


def _leading_common_words(phrase: str) -> int:
    """How many characters of `phrase` its opening stopwords take ("On Monday", "Its tally")."""
    cut = 0
    for word in re.finditer(r"\S+\s*", phrase):
        if not _stems(word.group()) <= _common_words():
            break
        cut = word.end()
    return cut


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Stopwords, stemmed: a sentence's capitalised first word ("The", "This") names no one."""
    return frozenset(stem_words(sorted(stopwords())))
