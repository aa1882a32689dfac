"""The names and numbers of a claim, and whether a quoted span mentions them all.

Word overlap and embedding similarity reward a claim that reuses a passage's words; they cannot tell
"Peskov denied it" from "Liu denied it" when both names stand in the passage. The names and numbers
are what a small model gets wrong (it swaps speakers, invents figures, shifts dates), so the
citation check requires every one of them in the span it quotes.
"""

import re

from retrieval.language.vocabulary import CAPITALISED_TOKEN, NAME_RUN, stopword_set

_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[\w’'.-]+")
_NUMBER_WORDS = {
    "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20", "thirty": "30", "forty": "40",
    "fifty": "50", "hundred": "100", "thousand": "1000", "million": "1000000", "billion": "1000000000",
}
# How news text names the same place or body; a claim may use either form.
_ALIASES = {
    "us": ("united states", "american", "america"),
    "usa": ("united states", "american", "america"),
    "uk": ("united kingdom", "britain", "british"),
    "eu": ("european union",),
    "un": ("united nations",),
}
_MIN_SHARED_PREFIX = 4


def _strip(token: str) -> str:
    """Lower case, without dots ("U.S." is "us") or a possessive ending."""
    token = token.lower().replace(".", "")
    for suffix in ("’s", "'s", "’", "'"):
        token = token.removesuffix(suffix)
    return token


def names_and_numbers(claim: str, context: str) -> set[str]:
    """Lowercased names (capitalised words) and numbers (digits, number words as digits) of `claim`.

    A capitalised word that opens the claim is a name only when `context` (the source text) never
    writes it in lower case and it is no stopword: "According" and "The" open sentences; "Peskov"
    and an invented "Macron" are names either way. A full name the context writes as such ("Jake
    Sullivan") requires only its last word: news gives a full name once, then the surname.
    """
    lowered_context = {_strip(w) for w in _WORD.findall(context) if not w[0].isupper()}
    first_names = _first_names(claim, context)
    required: set[str] = set()
    for match in CAPITALISED_TOKEN.finditer(claim):
        token = _strip(match.group())
        opens = not claim[: match.start()].strip(" \"“‘'([")
        if not token or token == "i" or token in _NUMBER_WORDS or match.start() in first_names:
            continue
        if opens and (token in stopword_set() or token in lowered_context):
            continue
        required.add(token)
    required |= _numbers(claim)
    return required


def _first_names(claim: str, context: str) -> set[int]:
    """Offsets in `claim` of the words before the last of a run of capitalised words that `context`
    contains as written ("Jake" in "Jake Sullivan", when the source says "Jake Sullivan")."""
    offsets: set[int] = set()
    for run in NAME_RUN.finditer(claim):
        if run.group() in context:
            words = list(re.finditer(r"\S+", run.group()))
            offsets |= {run.start() + word.start() for word in words[:-1]}
    return offsets


def _numbers(text: str) -> set[str]:
    found = {match.group().replace(",", "") for match in _DIGITS.finditer(text)}
    found |= {_NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS}
    return found


def span_mentions(span: str, required: set[str]) -> bool:
    """Whether `span` mentions every name and number in `required`.

    Names match a word of the span sharing all but its last letters with them (at least four):
    "Russia" the span's "Russian", "Peskov" its "Peskow", "China" its "Chinese"; "US" and the
    like also match their spelled-out forms.
    """
    if not required:
        return True
    lowered = span.lower()
    words = {_strip(w) for w in _WORD.findall(span)}
    numbers = _numbers(span)
    for item in required:
        if item[0].isdigit():
            if item not in numbers:
                return False
        elif not (_word_match(item, words) or any(alias in lowered for alias in _ALIASES.get(item, ()))):
            return False
    return True


def _word_match(name: str, words: set[str]) -> bool:
    if name in words:
        return True
    for word in words:
        shared = len(_common_prefix(name, word))
        if shared >= max(_MIN_SHARED_PREFIX, min(len(name), len(word)) - 1):
            return True
    return False


def _common_prefix(a: str, b: str) -> str:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return a[:length]


def reverses_relation(claim: str, span: str, required: set[str]) -> bool:
    """Whether `claim` puts two of its names the other way round around the same word as `span`
    does: "China would have asked Russia for …" from "Russia would have asked China for …", "The
    Bills play for Damar Hamlin" from "Damar Hamlin plays for the Bills". Every word of such a
    claim stands in the span, so neither the names rule nor similarity can see the swap.

    The word between the names must be the same content word in both (a verb, usually), and
    neither side may say "by" there: "China was asked by Russia" keeps the relation, "Sullivan and
    Yang met" names no relation in its order. Symmetric verbs ("met") are reversed too: a claim
    written the other way round is dropped for the extractive answer, never shown wrong.
    `required` is the claim's `names_and_numbers`, computed once by the caller for all its spans.
    """
    from retrieval.language.vocabulary import analyse

    names = sorted(n for n in required if not n[0].isdigit())
    if len(names) < 2:
        return False
    claim_words = [_strip(w) for w in _WORD.findall(claim)]
    span_words = [_strip(w) for w in _WORD.findall(span)]

    def places(words: list[str], name: str) -> list[int]:
        return [i for i, word in enumerate(words) if word and _word_match(name, {word})]

    def linked(words: list[str], first: list[int], second: list[int], link: set[str]) -> bool:
        """Some occurrence of the first name precedes one of the second with `link` between them."""
        for i in first:
            for j in second:
                between = words[i + 1 : j]
                if i < j and "by" not in between and link & set(analyse(" ".join(between))):
                    return True
        return False

    in_claim = {name: places(claim_words, name) for name in names}
    in_span = {name: places(span_words, name) for name in names}
    for a in names:
        for b in names:
            if a == b or not in_claim[a] or not in_claim[b] or in_claim[a][0] >= in_claim[b][0]:
                continue
            between = claim_words[in_claim[a][0] + 1 : in_claim[b][0]]
            link = set(analyse(" ".join(between))) if "by" not in between else set()
            if link and linked(span_words, in_span[b], in_span[a], link) and not linked(span_words, in_span[a], in_span[b], link):
                return True
    return False
