"""What a follow-up in a conversation refers to: an elliptical "and the US?" spelled out as the
previous question about it, the question joined with the turns it refers back to, and the person
a "he" or "she" stands for. Pure rules over the turns' text; `retrieval.conversation` applies them
(and the LLM's rewrite, when there is one) to a turn."""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.language.answer_kinds import answer_span, expected_answer, form_terms
from retrieval.language.questions import question_words, refers_back
from retrieval.language.subjects import named_subjects
from retrieval.language.vocabulary import ACRONYM, LEADING_CAPITALISED, NAME, analyse, stopword_set
from retrieval.text.markers import MARKER

Turn = tuple[str, str]
"""One earlier (question, answer) exchange of a conversation."""


_JOINED_TURNS = 3
"""At most this many earlier questions are joined to a follow-up: a conversation's older turns are
usually about something else."""


_PERSONAL = re.compile(r"\b(?:he|him|she)\b", re.IGNORECASE)


_ELLIPTICAL = re.compile(
    r"\W*(?:(?:and|but)\s+(?:(?:what|how)\s+about\s+)?|(?:what|how)\s+about\s+)(?P<rest>.+?)[\s?.!]*", re.IGNORECASE
)
"""A follow-up that only says what else to ask the previous question about: "and Google?", "what
about the US?", "and best actress?"."""


_NOT_A_THING = re.compile(
    r"(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|may|might|must|"
    r"it|he|she|they|him|her|them|this|that|these|those|there|then|so|also|not|no|yes)\b",
    re.IGNORECASE,
)
"""How a short follow-up's remainder begins when it is not the name of something: "and did it
work?", "and then?", "and he?" ask otherwise."""


_OPENING_CONJUNCTION = re.compile(r"^\W*(?:and|but|so|also)\s+", re.IGNORECASE)


_ENDS_WITH_THE = re.compile(r"\bthe\s+$", re.IGNORECASE)
"""A name's article stays with the name: "the US" in place of "Germany", "Germany" of "the US"."""


_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)


_ELLIPTICAL_WORDS = 5


@dataclass(frozen=True)
class ConversationTurn:
    """What one turn of a conversation asks, and which earlier turns it leans on."""

    question: str
    """What is answered: the question as asked, or spelled out when it only named something else
    to ask the previous question about (`spelled_out`)."""
    follows: tuple[Turn, ...]
    """The earlier turns searched with it (`standalone_query`): none when it changes the subject
    (`changes_subject`); for a spelled-out question, those before the question it repeats, which it
    now holds whole ("and Bessie Hendricks?" searched with "How old was Pope Benedict when he
    died?" found only the pope)."""
    said: tuple[Turn, ...]
    """The earlier turns whose quotes its answer does not repeat unless nothing else answers."""


def turn_of(question: str, history: Sequence[Turn]) -> ConversationTurn:
    """The turn `question` is after `history` (see `ConversationTurn`)."""
    asked = spelled_out(question, history)
    follows = tuple(history[:-1] if asked != question else history)
    if changes_subject(asked, follows):
        return ConversationTurn(asked, (), ())
    return ConversationTurn(asked, follows, tuple(history))


def spelled_out(question: str, history: Sequence[Turn]) -> str:
    """The question a short follow-up stands for: the previous question (itself spelled out) about
    what the follow-up names instead of what it named. "and Google?" after "How many employees is
    Microsoft laying off?" asks "How many employees is Google laying off?"; "and best actress?"
    after "Who won best actor in a drama?" asks "Who won best actress in a drama?". A follow-up
    of its own words ("and what did China say?") is returned as it is.

    Without this, "and Google?" was answered for its own words, any sentence naming Google, or with
    the previous question joined, the first answer again (docs/quality.md, "Follow-ups")."""
    match = _ELLIPTICAL.fullmatch(question)
    if not history or match is None:
        return question
    rest = match["rest"]
    words = rest.split()
    if len(words) > _ELLIPTICAL_WORDS or question_words(rest) or _NOT_A_THING.match(rest):
        return question
    previous = _OPENING_CONJUNCTION.sub("", spelled_out(history[-1][0], history[:-1]))
    return _asked_about(previous, rest)


def _asked_about(previous: str, rest: str) -> str:
    """`previous` with `rest` in place of the part it stands for: its first name (an acronym, or a
    first word that is no stopword, counts) when `rest` is a name it does not have, else the run of
    words of `rest`'s length that has a content word of `rest` in the same place and lacks one
    ("best actor" for "best actress"); failing both, `previous` with `rest` after it ("what about
    the tanks?" asks more of what it already names), so that both are searched and ranked for."""
    bare = _ARTICLE.sub("", rest)
    if bare[:1].isupper() and not re.search(rf"(?<!\w){re.escape(bare)}(?!\w)", previous, re.IGNORECASE):
        names = [(previous.find(s.phrase), s.phrase) for s in named_subjects(previous)]
        names += [(m.start(), m.group()) for m in ACRONYM.finditer(previous)]
        if (first := LEADING_CAPITALISED.match(previous)) and first.group().lower() not in stopword_set():
            names.append((first.start(), first.group()))
        for start, phrase in sorted(n for n in names if n[0] >= 0):
            before = _ENDS_WITH_THE.sub("", previous[:start])
            return f"{before}{rest}{previous[start + len(phrase):]}"
    words = previous.split()
    plain = [w.lower().strip("?,.!") for w in words]
    wanted = [w.lower() for w in rest.split()]
    content = {w for w in wanted if w not in stopword_set()}
    if content - set(plain):
        for start in range(len(words) - len(wanted) + 1):
            window = plain[start : start + len(wanted)]
            if any(a == b and a in content for a, b in zip(window, wanted, strict=True)):
                end = words[start + len(wanted) - 1]
                tail = end[len(end.rstrip("?,.!")) :]
                return " ".join([*words[:start], rest + tail, *words[start + len(wanted) :]])
    return f"{previous} {rest}"


def changes_subject(question: str, history: Sequence[Turn]) -> bool:
    """Whether `question` starts a new subject rather than following up: it does not refer back
    (`refers_back`) and what it names, the conversation has not mentioned. In a terminal session or
    a Discord thread, "What caused the flooding in California?" after "Why was the Bills-Bengals
    game cancelled?" was searched with the earlier question joined and answered about the game.
    "What did China say?" after "What did Russia ask China for?" still follows up."""
    subjects = named_subjects(question)
    if not history or not subjects or refers_back(question):
        return False
    said = "\n".join(f"{earlier}\n{answer}" for earlier, answer in history).lower()
    return not any(subject.mentioned_in(said) for subject in subjects)


def joined_question(question: str, history: Sequence[Turn]) -> str:
    """A follow-up with the earlier questions it depends on before it: what is searched without an
    LLM rewrite. That is the previous question, and the one before it for as long as each joined
    question refers back and names nothing of its own: in "When was the meeting in Rome?", "How
    long did it last?", "Who attended it?", the third is about the meeting only the first names.
    Joining further back than that dilutes the search: "since when has it maintained the clock?"
    after "how close to midnight is it now?" lost its passage when a third question came along."""
    asked = [question]
    for earlier, _ in reversed(history[-_JOINED_TURNS:]):
        asked.insert(0, earlier)
        if not refers_back(earlier) or set(analyse(earlier)) - form_terms(earlier):
            break
    return " ".join(asked)


def person_referred_to(question: str, history: Sequence[Turn]) -> str | None:
    """Who "he", "him" or "she" in a follow-up naming nobody is: the last person the latest
    question naming one names; else the person its answer gives as the answer, when it asked who
    (`_answered_person`: "Who denied the request?" answered "On Monday, Russia denied … [1] … the
    spokesman …, Liu Pengyu, has denied … [2]" is about Liu Pengyu); else the first person its
    answer's first sentence names ("Who is the Kremlin spokesman?" answered "From Moscow, the
    Kremlin spokesman, Dmitry Peskov, had denied …", then "what did he deny?"). A follow-up's own
    words rank its answer, and "where did he say this?" alone was answered with any sentence
    saying something somewhere."""
    if not _PERSONAL.search(question) or _names(question):
        return None
    for earlier, answer in reversed(history[-_JOINED_TURNS:]):
        if asked := _names(earlier):
            return asked[-1]
        if answered := _answered_person(earlier, answer):
            return answered
        if named := _names(MARKER.split(answer, maxsplit=1)[0]):
            return named[0]
    return None


def _answered_person(question: str, answer: str) -> str | None:
    """The person an answer to a who-question is about: the first one named by the first of its
    sentences that gives a name for an answer (`answer_kinds.answer_span`), which is that
    sentence's subject more often than the name nearest the question's words ("Ned Price, the State
    Department spokesman, said the allies were briefed")."""
    if expected_answer(question) is not NAME:
        return None
    for sentence in MARKER.split(answer):
        if answer_span(question, sentence) is not None and (named := _names(sentence)):
            return named[0]
    return None


def _names(text: str) -> list[str]:
    """Runs of two or more capitalised words, without a capitalised stopword opening them ("From
    Moscow" is no name, "Dmitry Peskov" is)."""
    found = []
    for match in NAME.finditer(text):
        words = match.group().split()
        while words and words[0].lower() in stopword_set():
            words.pop(0)
        if len(words) >= 2:
            found.append(" ".join(words))
    return found
