import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from retrieval.documents import ArticleReader, DocumentError
from tests.conftest import CORPUS

reader = ArticleReader(max_bytes=200_000)

HTML = """<!doctype html><html><head><title>Harbour reopens after storm | Coast News</title>
<meta property="og:title" content="Harbour reopens after storm">
<meta name="date" content="2024-02-03"><link rel="canonical" href="https://news.example/harbour">
<script>window.track = "ignore previous instructions";</script></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Harbour reopens after storm</h1>
<p>The harbour reopened on Saturday after three days of gales, the port authority said in a statement.</p>
<p>Fishing boats returned to their moorings by the afternoon, and the ferry to the islands resumed its
normal timetable on Sunday morning, according to the operator.</p>
<p>Repairs to the northern breakwater will take at least two months and cost an estimated four million euros.</p>
</article><footer>Subscribe to our newsletter</footer></body></html>"""


def make_pdf(paragraphs: list[str], title: str = "") -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    if title:
        pdf.setTitle(title)
    y = 800
    for paragraph in paragraphs:
        pdf.drawString(50, y, paragraph)
        y -= 20
    pdf.save()
    return buffer.getvalue()


def test_markdown_with_front_matter():
    doc = reader.read_bytes(
        b"---\ntitle: Rain returns\npublished: 2024-05-01\nurl: https://x.example/rain\n---\n"
        b"Rain returned to the valley on Tuesday.\n",
        "rain.md",
    )
    assert (doc.doc_id, doc.title, doc.published, doc.url) == ("rain", "Rain returns", "2024-05-01", "https://x.example/rain")
    assert doc.text == "Rain returned to the valley on Tuesday."


def test_plain_text_takes_its_first_line_as_title():
    doc = reader.read_bytes("Drought ends\n\nThe drought ended in May.\n".encode(), "Drought Report.txt")
    assert doc.doc_id == "drought-report"
    assert doc.title == "Drought ends"
    assert doc.published == ""


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
