import io
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter

from retrieval.ingest.readers import SUPPORTED_SUFFIXES, ArticleReader, DocumentError, slugify
from tests.support.document_ids import assert_usable_id
from tests.support.files import HTML, NESTED_HTML, SAMPLES, make_pdf, mutated, text_bomb_pdf
from tests.support.services import CORPUS

reader = ArticleReader(max_bytes=200_000)


def test_markdown_with_front_matter():
    doc = reader.read_bytes(
        b"---\ntitle: Rain returns\npublished: 2024-05-01\nurl: https://x.example/rain\n---\n"
        b"Rain returned to the valley on Tuesday.\n",
        "rain.md",
    )
    assert (doc.doc_id, doc.title, doc.published, doc.url) == ("rain", "Rain returns", "2024-05-01", "https://x.example/rain")
    assert doc.text == "Rain returned to the valley on Tuesday."


def test_plain_text_takes_its_first_line_as_title():
    doc = reader.read_bytes(b"Drought ends\n\nThe drought ended in May.\n", "Drought Report.txt")
    assert doc.doc_id == "drought-report"
    assert doc.title == "Drought ends"
    assert doc.published == ""


@pytest.mark.parametrize(
    ("text", "filename", "title"),
    [
        ("# Storm closes the harbour\n\nThe harbour closed on Friday.", "notes.md", "Storm closes the harbour"),
        ("Is the ferry running again?\nThe ferry resumed on Sunday.", "ferry.txt", "Is the ferry running again?"),
        ("The harbour master of Valdora resigned on Friday after the storm damaged the pier.\nMore text.",
         "harbour.txt", "harbour"),
        ("The harbour reopened\nThe harbour reopened on Saturday after " + "three days of gales and rain " * 5,
         "reopen.txt", "The harbour reopened"),
        (" ".join(["Word"] * 20) + "\nBody.", "long-line.txt", "long-line"),
    ],
    ids=["markdown-heading", "question-headline", "first-sentence", "short-first-line", "long-first-line"],
)
def test_untitled_documents_take_a_headline_like_first_line_else_the_file_name(text: str, filename: str, title: str):
    assert reader.read_bytes(text.encode(), filename).title == title


def test_untitled_pdf_takes_its_first_line_when_it_is_a_headline():
    doc = reader.read_bytes(make_pdf(["Wind farm approved", "The council approved it on Friday."]), "wind.pdf")
    assert doc.title == "Wind farm approved"
    sentence_first = reader.read_bytes(make_pdf(["The council approved the wind farm on Friday."]), "council.pdf")
    assert sentence_first.title == "council"


def test_a_corrupt_pdf_is_described_in_plain_words():
    with pytest.raises(DocumentError) as info:
        reader.read_bytes(b"%PDF-1.7\n1 0 obj garbage without structure", "broken.pdf")
    assert str(info.value) == (
        "corrupt or unreadable PDF: the file is damaged or is not a PDF; export or download it again and upload the new copy"
    )


def test_html_main_text_and_metadata_with_trafilatura():
    doc = reader.read_bytes(HTML.encode(), "harbour.html")
    assert doc.title == "Harbour reopens after storm"
    assert doc.published == "2024-02-03"
    assert "breakwater will take at least two months" in doc.text
    assert "Home" not in doc.text and "window.track" not in doc.text
    assert "Subscribe" not in doc.text


def test_pdf_text_and_title():
    data = make_pdf(["Wind farm approved", "The council approved the wind farm on Friday."], title="Wind farm")
    doc = reader.read_bytes(data, "wind.pdf")
    assert doc.title == "Wind farm"
    assert "approved the wind farm on Friday." in doc.text


def test_a_pdf_is_dated_by_its_creation_date_unless_a_date_is_given():
    data = make_pdf(["The council approved the wind farm on Friday."], created="20230105120000")
    assert reader.read_bytes(data, "wind.pdf").published == "2023-01-05"
    assert reader.read_bytes(data, "wind.pdf", overrides={"published": "2023-01-09"}).published == "2023-01-09"
    assert reader.read_bytes(make_pdf(["The council met on Friday."]), "met.pdf").published == ""


def test_encrypted_pdf_is_refused():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["Secret text here."]))))
    writer.encrypt("password")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(DocumentError, match="encrypted"):
        reader.read_bytes(buffer.getvalue(), "secret.pdf")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.7\n1 0 obj garbage without structure", "broken.pdf", "corrupt or unreadable PDF"),
        (b"PK\x03\x04" + bytes(range(256)) * 4, "archive.pdf", "corrupt or unreadable PDF"),
        (bytes(range(256)) * 8, "image.txt", "binary data"),
        (b"caf\xe9 au lait, d\xe9j\xe0 vu", "latin1.md", "not valid UTF-8"),
        (b"", "empty.md", "empty file"),
        (b"   \n\n  ", "blank.txt", "empty file"),
        (b"some words", "table.xlsx", "unsupported file type .xlsx"),
        (b"some words", "README", "unsupported file type (no extension)"),
        (b"x" * 200_001, "huge.txt", "over the 200,000-byte limit"),
        (b"---\ntitle: [unclosed\n---\nBody.", "bad.md", "invalid YAML front matter"),
    ],
)
def test_bad_inputs_raise_one_line_errors(data: bytes, name: str, message: str):
    with pytest.raises(DocumentError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        reader.read_bytes(data, name)
    assert "\n" not in str(info.value)


def test_overrides_win_over_file_metadata():
    doc = reader.read_bytes(b"---\ntitle: Old\n---\nBody text here.", "a.md", overrides={"title": "New", "url": ""})
    assert doc.title == "New"


def test_content_hash_ignores_the_path_but_not_the_text():
    a = reader.read_bytes(b"Same text.", "same.txt", source_path="/one/same.txt")
    b = reader.read_bytes(b"Same text.", "same.txt", source_path="/two/same.txt")
    c = reader.read_bytes(b"Other text.", "same.txt")
    assert a.content_hash == b.content_hash != c.content_hash


def test_shipped_corpus_has_honest_front_matter():
    docs = {p.stem: reader.read_path(p) for p in sorted(CORPUS.glob("*.md"))}
    assert len(docs) == 2
    us = docs["us-warns-allies-china-willing-to-support-russia"]
    assert us.title == "The US warns its allies that China is willing to support Russia militarily"
    assert us.published == ""
    italy = docs["china-open-to-supplying-arms-to-russia"]
    assert italy.published == "2022-03-14"
    assert "Today, Monday 14 March, the Financial Times publishes the indiscretion" in italy.text
    for doc in docs.values():
        assert Path(doc.path).is_file()


# Hostile input: huge, nested and arbitrary files -------------------------------------------------


def test_a_pdf_that_unpacks_beyond_the_text_limit_is_refused_early():
    data = text_bomb_pdf(pages=1000, lines_per_page=200)  # 156 KB holding 14 million characters
    assert len(data) < 200_000
    small = ArticleReader(max_bytes=10**7, max_chars=100_000)
    with pytest.raises(DocumentError, match="extracted text is over 100,000 characters"):
        small.read_bytes(data, "bomb.pdf")


def test_html_with_scripts_and_a_megabyte_of_nested_tags():
    assert len(NESTED_HTML) > 1_000_000
    doc = ArticleReader(max_bytes=2_000_000).read_bytes(NESTED_HTML.encode(), "pier.html")
    assert "rebuilt in granite" in doc.text
    assert "ignore previous" not in doc.text and "evil.example" not in doc.text and "<" not in doc.text
    only_tags = "<html><body><script>alert(1)</script>" + "<div>" * 200_000 + "</div>" * 200_000 + "</body></html>"
    with pytest.raises(DocumentError, match="no article text"):
        ArticleReader(max_bytes=5_000_000).read_bytes(only_tags.encode(), "tags.html")


# Document ids ------------------------------------------------------------------------------------


def ascii_slug_before_unicode_ids(name: str) -> str:
    """How ids were made before they kept non-Latin letters: the ids of every existing index."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:80].strip("-")


@pytest.mark.parametrize(
    ("filename", "doc_id"),
    [
        ("新闻.md", "新闻"),
        ("новости.md", "новости"),
        ("ümlaut.md", "ümlaut"),
        ("Ümlaut Bericht.txt", "ümlaut-bericht"),
        ("Cafe\u0301 Re\u0301sume\u0301.md", "café-résumé"),  # decomposed, as macOS names files
        ("Straße.md", "strasse"),
        ("ＦＵＬＬ　ｗｉｄｔｈ.md", "full-width"),
        ("हिन्दी समाचार.md", "हिन्दी-समाचार"),
        ("أخبار اليوم.md", "أخبار-اليوم"),
        ("東京 2023年_報告.md", "東京-2023年-報告"),
    ],
)
def test_non_latin_names_keep_readable_ids(filename: str, doc_id: str):
    doc = reader.read_bytes(b"The harbour reopened on Monday.", filename)
    assert doc.doc_id == doc_id
    assert_usable_id(doc.doc_id)


def test_names_in_different_scripts_get_different_ids():
    names = ["新闻.md", "新聞.md", "новости.md", "ümlaut.md", "mlaut.md", "🎉.md", "🎊.md", "---.txt", "—.md"]
    ids = [reader.read_bytes(b"The harbour reopened on Monday.", name).doc_id for name in names]
    assert len(set(ids)) == len(ids), ids


@pytest.mark.parametrize("stem", ["🎉", "---", "—", "!!!", "  ", "\u0301"])
def test_a_name_without_letters_or_digits_gets_a_stable_id_of_its_own(stem: str):
    """Named by a hash of the name, not of the text: uploading the same name again updates it."""
    first = reader.read_bytes(b"The harbour reopened on Monday.", stem + ".md").doc_id
    second = reader.read_bytes(b"The harbour reopened on Tuesday.", stem + ".md").doc_id
    assert first == second and first.startswith("document-")
    assert_usable_id(first)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=120))
def test_ascii_names_keep_the_ids_they_always_had(name: str):
    before = ascii_slug_before_unicode_ids(name)
    if before:
        assert slugify(name) == before
    else:
        assert slugify(name).startswith("document-")


@pytest.mark.parametrize(
    ("name", "doc_id"),
    [
        ("Report!", "report"),
        ("China's Open_Arms -- 2023", "china-s-open-arms-2023"),
        ("news.example/valdora/harbour-master ", "news-example-valdora-harbour-master"),
        ("x" * 79 + "-yz", "x" * 79),
    ],
)
def test_ascii_ids_examples(name: str, doc_id: str):
    assert slugify(name) == doc_id


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=200))
def test_every_name_gives_a_usable_id_that_is_its_own_id(name: str):
    """An id given as an id (a front-matter `id:`, the one `ingest_url` passes on) stays that id."""
    doc_id = slugify(name)
    assert_usable_id(doc_id)
    assert slugify(doc_id) == doc_id


def test_long_names_are_cut_to_fit_discord_however_it_counts():
    """Discord's choice values hold 100 characters; an id is at most 80 UTF-16 units, so also
    letters outside the Basic Multilingual Plane (two units each) fit with room to spare."""
    assert slugify("𠀀" * 200) == "𠀀" * 40
    assert slugify("新" * 200) == "新" * 80
    assert slugify("a" * 79 + "𠀀") == "a" * 79


# Property tests: whatever the bytes, a document or a DocumentError ---------------------------------

property_reader = ArticleReader(max_bytes=200_000, max_chars=50_000)


def file_bytes(suffix: str):
    return st.one_of(
        st.binary(max_size=2048),
        st.text(max_size=2048).map(lambda t: t.encode("utf-8", "surrogatepass")),
        mutated(SAMPLES[suffix]),
    )


def assert_clean_text(text: str, max_chars: int) -> None:
    assert text and text == text.strip()
    assert "\r" not in text and "\n\n\n" not in text
    assert len(text) <= max_chars


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_read_bytes_returns_a_clean_document_or_a_document_error(suffix: str, data):
    raw = data.draw(file_bytes(suffix))
    stem = data.draw(st.text(min_size=0, max_size=40))
    try:
        doc = property_reader.read_bytes(raw, stem + suffix)
    except DocumentError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert_clean_text(doc.text, property_reader.max_chars)
    assert_usable_id(doc.doc_id)
    assert doc.title


@settings(max_examples=40, deadline=None, derandomize=True)
@given(raw=st.binary(max_size=512), stem=st.text(max_size=30),
       suffix=st.sampled_from(["", ".exe", ".zip", ".docx", ".pdf.exe", ".md.sh", ".txt ", ".html~", "."]))
def test_unsupported_suffixes_are_refused_whatever_the_content(raw: bytes, stem: str, suffix: str):
    with pytest.raises(DocumentError, match="unsupported file type"):
        property_reader.read_bytes(raw, stem.replace("/", "") + suffix)
