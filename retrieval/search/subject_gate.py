"""The gate between search and answer: a retrieval is answered only when its articles mention
what the question names (`language.subjects` says what that is); otherwise the answer abstains and
says which names no article mentions."""

from dataclasses import replace

from retrieval.language.subjects import NamedSubject, named_subjects
from retrieval.search.retriever import Retrieval


def require_named_subjects(found: Retrieval, question: str) -> Retrieval:
    """`found` as it is when one of its articles mentions enough of what `question` names (one or
    two names all, more all but a third: a long news question names its event several ways, and an
    article seldom uses every one); otherwise `found` without passages, nothing to answer from.
    `unmentioned` lists the names no retrieved article mentions. A question naming nothing keeps
    every passage.

    The passages of other articles are kept when one mentions the names: an article may call the
    same thing otherwise ("the Russian presidential spokesman" for the Kremlin's), and dropping them
    lost such answers. For a follow-up, `question` is what it asks on its own (`FollowUp.question`),
    not the joined questions searched for it."""
    subjects = named_subjects(question)
    if not subjects:
        return found
    needed = len(subjects) - len(subjects) // 3
    mentioned = [_mentioned(subjects, f"{record.title}\n{record.text}".lower()) for record in found.records.values()]
    unmentioned = tuple(s.phrase for s in subjects if not any(s.phrase in names for names in mentioned))
    if any(len(names) >= needed for names in mentioned):
        return replace(found, unmentioned=unmentioned)
    return replace(found, passages=[], unmentioned=unmentioned)


def _mentioned(subjects: tuple[NamedSubject, ...], lowered_text: str) -> set[str]:
    return {subject.phrase for subject in subjects if subject.mentioned_in(lowered_text)}
