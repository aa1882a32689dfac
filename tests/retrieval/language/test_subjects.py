"""What a question names, and when an article mentions it (retrieval/language/subjects.py)."""

import pytest

from retrieval.language.subjects import named_subjects


def phrases(question: str) -> list[str]:
    return [subject.phrase for subject in named_subjects(question)]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Why did Jacinda Ardern resign?", ["Jacinda Ardern"]),
        ("What did Russia ask China for?", ["Russia", "China"]),
        ("What did Japan's foreign minister say?", ["Japan"]),
        ("What did Ursula von der Leyen announce?", ["Ursula von der Leyen"]),
        ("Why did the Bank of Japan change its policy?", ["Bank of Japan"]),
        ("How many died in the earthquake in Turkey and Syria in February?", ["Turkey", "Syria"]),
        ("Twitter announced this week it would lift the ban. True or false?", []),
        ("A plane crash occurred in which South Asian country?", []),
        ("Which Republican lost the vote?", []),
        ("Biden met his Mexican counterpart. What did they agree?", []),
        ("What did the French president say about Rome?", ["Rome"]),
        ("Which renewable energy hit a record in Britain last year?", []),
        ("What did the United States warn?", []),
        ("Who denied the request?", []),
        # A name's time words are not matched, but it is shown as written.
        ("The 2023 Lunar New Year rang in the year of which zodiac animal?", ["Lunar New Year"]),
        ("What is the title of the Golden Globe-winning film directed by Steven Spielberg?",
         ["Golden Globe", "Steven Spielberg"]),
        ("Who leads the Kremlin-backed forces?", ["Kremlin"]),
        ("What did Jean-Pierre say?", ["Jean-Pierre"]),
    ],
)
def test_the_names_an_answer_must_mention(question: str, expected: list[str]):
    """A capitalised first word, the kind a "which" question asks for, a nationality, a month and the
    countries every article mentions under several spellings are not names an article must repeat."""
    assert phrases(question) == expected


@pytest.mark.parametrize(
    ("question", "text", "mentioned"),
    [
        ("What did Russia say?", "the russian army advanced", True),
        ("What did China say?", "chinese officials denied it", True),
        ("Why did Turkey close the strait?", "the turkish navy", True),
        ("How did India respond?", "indian diplomats", True),
        ("How did India respond?", "he indicated no response", False),
        ("Why did Jacinda Ardern resign?", "jacinda ardern's resignation", True),
        ("Why did Jacinda Ardern resign?", "ardern spoke", False),
        ("What time is the Doomsday Clock set to?", "the doomsday scenario", False),
        ("What time is the Doomsday Clock set to?", "the doomsday clock", True),
        ("Who hosted the Oscars?", "the oscar nominations", True),
        ("Where is Paris?", "in paris today", True),
        ("How many crossed the US-Mexico border?", "at the u.s.-mexico border", True),
        ("How many crossed the US-Mexico border?", "the border between the us and mexico", True),
        ("How many crossed the US-Mexico border?", "the border with canada", False),
        ("What did Jean-Pierre say?", "karine jean-pierre said", True),
    ],
)
def test_an_article_mentions_a_name_in_its_other_forms_only(question: str, text: str, mentioned: bool):
    [subject] = named_subjects(question)
    assert subject.mentioned_in(text) is mentioned
