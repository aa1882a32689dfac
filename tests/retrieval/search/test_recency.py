"""The recency prior: publication dates read in their common forms, and newer articles ranked first
among ones that say the same, unless the question asks about an earlier year."""

import datetime as dt
from pathlib import Path

import pytest

from retrieval.language.time_frames import TimeFrame
from retrieval.models.answers import CitedAnswer
from retrieval.search.recency import RecencyPrior, SentenceRecency
from retrieval.text.dates import publication_day
from tests.support.services import make_settings, open_service


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        ("2023/01/05", dt.date(2023, 1, 5)),
        ("2023-01-05", dt.date(2023, 1, 5)),
        ("2023-01-05T22:10:00+00:00", dt.date(2023, 1, 5)),
        ("5 January 2023", dt.date(2023, 1, 5)),
        ("Jan 5, 2023", dt.date(2023, 1, 5)),
        ("January 2023", dt.date(2023, 1, 1)),
    ],
)
def test_publication_dates_are_read_in_their_common_forms(published: str, expected: dt.date) -> None:
    assert publication_day(published) == expected.toordinal()


@pytest.mark.parametrize("published", ["", "   ", "soon", "2023-02-30", "Tuesday"])
def test_what_is_not_a_dated_day_has_no_day(published: str) -> None:
    assert publication_day(published) is None


NEWEST = dt.date(2023, 1, 27).toordinal()
TODAY = dt.date(2026, 11, 30).toordinal()


ASKED = dt.date(2023, 1, 30)


def test_without_time_words_ages_count_from_the_newest_article_of_the_asking_day() -> None:
    prior = RecencyPrior(weight=2.0, days=30.0)
    assert prior.frame("Who resigned?", ASKED, NEWEST) == TimeFrame(NEWEST, NEWEST)


def test_time_words_count_ages_from_the_days_they_name_as_of_the_asking_day() -> None:
    prior = RecencyPrior(weight=2.0, days=30.0)
    asked = ASKED.toordinal()
    assert prior.frame("Who resigned this week?", ASKED, NEWEST) == TimeFrame(asked - 6, asked)
    assert prior.frame("Who resigned yesterday?", ASKED, asked) == TimeFrame(asked - 1, asked)


def test_days_named_of_an_archive_that_has_none_of_them_are_its_last_ones() -> None:
    """Asked today of January 2023's news, "this week" is the archive's last week, not a week
    from which every article is equally far."""
    prior = RecencyPrior(weight=2.0, days=30.0)
    assert prior.frame("Who resigned this week?", dt.date(2026, 11, 30), NEWEST) == TimeFrame(NEWEST - 6, NEWEST)


def test_no_prior_when_turned_off_undated_or_asking_about_an_earlier_year() -> None:
    prior = RecencyPrior(weight=2.0, days=30.0)
    assert RecencyPrior(weight=0.0, days=30.0).frame("Who resigned?", ASKED, NEWEST) is None
    assert prior.frame("Who resigned?", ASKED, None) is None
    assert prior.frame("Who won the election in 2019?", ASKED, NEWEST) is None
    assert prior.frame("What changed between 2019 and 2023?", ASKED, NEWEST) == TimeFrame(NEWEST, NEWEST)
    today = dt.date.fromordinal(TODAY)
    assert prior.frame("What changed between 2019 and 2023?", today, NEWEST) == TimeFrame(NEWEST, NEWEST), (
        "asked today of an archive of 2023, 2023 is the archive's present, not the past"
    )


def test_every_article_inside_the_frame_gets_the_whole_lift() -> None:
    prior = RecencyPrior(weight=2.0, days=30.0)
    lifts = prior.boosts({"monday": NEWEST - 4, "friday": NEWEST, "month": NEWEST - 36}, TimeFrame(NEWEST - 6, NEWEST), 10)
    assert lifts["monday"] == lifts["friday"] == pytest.approx(2.0 / 11)
    assert lifts["month"] == pytest.approx(lifts["friday"] / 2.718281828, rel=1e-6)


def test_the_lift_is_bounded_and_falls_with_age() -> None:
    prior = RecencyPrior(weight=2.0, days=30.0)
    lifts = prior.boosts({"new": NEWEST, "month": NEWEST - 30, "year": NEWEST - 365}, TimeFrame(NEWEST, NEWEST), rrf_k=10)
    assert lifts["new"] == pytest.approx(2.0 / 11)
    assert lifts["new"] > lifts["month"] > lifts["year"] > 0
    assert lifts["month"] == pytest.approx(lifts["new"] / 2.718281828, rel=1e-6)
    assert prior.boosts({"new": NEWEST}, None, rrf_k=10) == {"new": 0.0}


def test_an_undated_document_is_ranked_as_the_average_dated_one() -> None:
    frame = TimeFrame(NEWEST, NEWEST)
    lifts = RecencyPrior(weight=2.0, days=30.0).boosts({"new": NEWEST, "old": NEWEST - 60, "undated": None}, frame, 10)
    assert lifts["undated"] == pytest.approx((lifts["new"] + lifts["old"]) / 2)
    assert RecencyPrior(weight=2.0, days=30.0).boosts({"undated": None}, frame, 10) == {"undated": 0.0}


def _article(folder: Path, name: str, published: str, body: str) -> None:
    (folder / f"{name}.md").write_text(
        f'---\ntitle: "Harbour ferry report"\npublished: "{published}"\n---\n\n{body}\n', encoding="utf-8"
    )


@pytest.fixture
def two_years(tmp_path: Path) -> Path:
    """The same kind of news a year apart: an older report and the current one, worded alike."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _article(corpus, "ferry-2021", "2021-03-02",
             "The harbour ferry service was suspended after the pier failed a safety inspection. "
             "Officials said repairs to the pier would take about four months.")
    _article(corpus, "ferry-2022", "2022-03-08",
             "The harbour ferry service was suspended again after the pier failed another inspection. "
             "Officials said the new repairs to the pier would take about six weeks.")
    return corpus


def _ask(
    tmp_path: Path, corpus: Path, embed_model, question: str, asked_on: dt.date | None = None, **overrides
) -> CitedAnswer:
    """`question` asked of `corpus` ingested with these settings (an index per set of overrides)."""
    data_dir = tmp_path / "-".join(["data", *(f"{k}={v}" for k, v in overrides.items())])
    service = open_service(make_settings(data_dir, corpus, **overrides), embed_model)
    service.ingest()
    return service.ask(question, asked_on=asked_on)


def _first_passage_doc(tmp_path: Path, corpus: Path, embed_model, question: str, **overrides) -> str:
    return _ask(tmp_path, corpus, embed_model, question, **overrides).passages[0].doc_id


def test_the_newer_article_comes_first_when_both_fit(tmp_path: Path, two_years: Path, embed_model) -> None:
    question = "Why was the harbour ferry service suspended after the pier inspection?"
    assert _first_passage_doc(tmp_path, two_years, embed_model, question) == "ferry-2022"


def test_without_the_prior_the_order_is_the_search_order(tmp_path: Path, two_years: Path, embed_model) -> None:
    """The older article matches the question's words better ("failed a safety inspection"), so
    search alone puts it first: the prior, not the wording, is what lifts the newer one."""
    question = "Why was the harbour ferry service suspended after the pier failed a safety inspection?"
    assert _first_passage_doc(tmp_path, two_years, embed_model, question, recency_weight=0.0) == "ferry-2021"
    assert _first_passage_doc(tmp_path, two_years, embed_model, question) == "ferry-2022"


def test_a_question_about_an_earlier_year_gets_no_lift(tmp_path: Path, two_years: Path, embed_model) -> None:
    question = "Why was the harbour ferry service suspended after the pier failed a safety inspection in 2021?"
    assert _first_passage_doc(tmp_path, two_years, embed_model, question) == "ferry-2021"


def test_a_sentence_loses_a_bounded_share_of_its_score_with_its_articles_age() -> None:
    recency = SentenceRecency(weight=0.2, days=30.0)
    new, month, years, undated = recency.factors(
        "How long will the repairs take?", ["2023-01-27", "2022-12-28", "2017-03-01", ""]
    )
    assert new == 1.0
    assert month == pytest.approx(1 - 0.2 * (1 - 1 / 2.718281828), rel=1e-6)
    assert new > month > years >= 0.8
    assert undated == pytest.approx((new + month + years) / 3)


def test_sentences_keep_their_scores_when_turned_off_undated_or_asking_about_an_earlier_year() -> None:
    dates = ["2023-01-27", "2017-03-01"]
    assert SentenceRecency(weight=0.0, days=30.0).factors("Who resigned?", dates) == [1.0, 1.0]
    assert SentenceRecency(weight=0.2, days=30.0).factors("Who resigned?", ["", "soon"]) == [1.0, 1.0]
    assert SentenceRecency(weight=0.2, days=30.0).factors("Who resigned in 2017?", dates) == [1.0, 1.0]


def _first_quote(
    tmp_path: Path, corpus: Path, embed_model, question: str, asked_on: dt.date | None = None, **overrides
) -> str:
    return _ask(tmp_path, corpus, embed_model, question, asked_on, **overrides).citations[0].quote


def test_the_answer_quotes_the_newer_article_when_both_say_it(tmp_path: Path, two_years: Path, embed_model) -> None:
    """Both articles are retrieved and both say how long the repairs take; the older one's wording
    is closer to the question, so without the preference its sentence is quoted first."""
    question = "How long would repairs to the pier take, officials said?"
    assert "four months" in _first_quote(tmp_path, two_years, embed_model, question, answer_recency_weight=0.0)
    assert "six weeks" in _first_quote(tmp_path, two_years, embed_model, question)


def test_a_question_asked_on_a_day_uses_no_article_published_after_it(
    tmp_path: Path, two_years: Path, embed_model
) -> None:
    """Asked in 2021, the 2022 report does not exist yet: it is neither searched nor quoted, and
    the answer says the day it was asked on."""
    answer = _ask(tmp_path, two_years, embed_model, "How long would repairs to the pier take, officials said?",
                  asked_on=dt.date(2021, 3, 5))
    assert {p.doc_id for p in answer.passages} == {"ferry-2021"}
    assert "four months" in answer.citations[0].quote
    assert answer.to_json()["asked_on"] == "2021-03-05"


def test_a_question_about_a_year_uses_no_article_published_before_it(
    tmp_path: Path, two_years: Path, embed_model
) -> None:
    """What happened in 2022 is not in a report of 2021: asked about 2022's suspension, the 2021
    article is neither searched nor quoted; asked about 2021, both are searched."""
    about_2022 = _ask(tmp_path, two_years, embed_model, "How long did officials say the 2022 pier repairs would take?")
    assert {p.doc_id for p in about_2022.passages} == {"ferry-2022"}
    assert "six weeks" in about_2022.citations[0].quote
    about_2021 = _ask(tmp_path, two_years, embed_model, "How long did officials say the 2021 pier repairs would take?")
    assert {p.doc_id for p in about_2021.passages} == {"ferry-2021", "ferry-2022"}
    named = _ask(tmp_path, two_years, embed_model, "How long did officials say the Pier 2049 repairs would take?")
    assert {p.doc_id for p in named.passages} == {"ferry-2021", "ferry-2022"}, "a year after the asking day is a name"


def test_this_week_is_the_week_of_the_asking_day(tmp_path: Path, two_years: Path, embed_model) -> None:
    """Two reports in the index, both before the asking day: "this week" of 2022-03-10 is the newer
    one's week, and a week later the question still means that week, not a year earlier."""
    corpus = two_years
    _article(corpus, "ferry-2021-autumn", "2021-09-14",
             "The harbour ferry service was suspended for a day after a storm damaged the pier. "
             "Officials said repairs to the pier would take about two days.")
    question = "How long would repairs to the pier take, officials said this week?"
    assert "six weeks" in _first_quote(tmp_path, corpus, embed_model, question, asked_on=dt.date(2022, 3, 10))
    assert "two days" in _first_quote(tmp_path, corpus, embed_model, question, asked_on=dt.date(2021, 9, 16))
