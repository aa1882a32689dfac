"""Reading article files into `SourceDocument`s, whatever their format.

Markdown and text files (with or without YAML front matter), HTML pages (trafilatura extracts the
main text and metadata) and PDFs (pypdf) all end up as the same cleaned text plus metadata, so
everything downstream is format-agnostic. Every failure is a `DocumentError` with a one-line reason
that the ingest report shows next to the file.
"""

import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import TYPE_CHECKING

import frontmatter
import yaml

from retrieval.models.article import ArticleMeta, DescribesArticle
from retrieval.text.cleaning import clean_article_text

if TYPE_CHECKING:
    from pypdf import DocumentInformation

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")
# A first line reads like a headline when it is this short and does not end as a sentence does.
HEADLINE_MAX_CHARS = 120
HEADLINE_MAX_WORDS = 16
# What a user can do about a PDF the parser rejects; the parser's own message ("invalid xref table",
# "Stream has ended unexpectedly") means nothing to them.
# Titles PDF writers fill in when the author gave none: no better than no title.
_PLACEHOLDER_PDF_TITLE = re.compile(r"untitled( document)?|document ?\d*|microsoft (word|powerpoint) - .*", re.IGNORECASE)
CORRUPT_PDF = (
    "corrupt or unreadable PDF: the file is damaged or is not a PDF; export or download it again and upload the new copy"
)
MAX_ID_LENGTH = 80
"""The longest document id, in UTF-16 code units (a letter outside the Basic Multilingual Plane
counts twice): Discord's 100-character fields (autocomplete values, `Title (id)` choice names) then
hold an id however Discord counts them."""


class DocumentError(Exception):
    """A file that cannot become a document; the message is shown to the user as it is."""


@dataclass(frozen=True)
class SourceDocument(DescribesArticle):
    """One article as it will be stored: what it says of itself (`meta`), its cleaned text, and where
    it came from (`path`: the file it was read from, or an upload's name)."""

    meta: ArticleMeta
    text: str
    path: str = ""

    @property
    def content_hash(self) -> str:
        """Hash of everything that ends up in the index: text and metadata, but not the file path.
        The author joins the hashed fields only when there is one, so documents without an author
        keep the hash they had before authors were stored (and are not embedded again)."""
        fields = [self.doc_id, self.title, self.text, self.published, self.source, self.url]
        payload = json.dumps(fields + [self.author] if self.author else fields, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def upload_name(filename: str) -> str:
    """The last component of a file name, whichever separator it uses: an upload is named, never placed."""
    return PureWindowsPath(filename).name


def slugify(name: str) -> str:
    """A stable, readable document id from a file name, front-matter id or URL: its letters, marks
    and digits (NFKC-normalised and case-folded, so `Ümlaut` and `ümlaut` and full-width letters
    agree), with every other run of characters one hyphen.

    Non-Latin names keep their own ids (`新闻`, `новости`, `ümlaut`); ASCII names keep the ids they
    always had. A name with no letter or digit at all (`🎉`, `---`) is named by a hash of the name,
    not of the text, so two such names stay apart and uploading the same one again updates it.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    kept = "".join(ch if unicodedata.category(ch)[0] in "LMN" else " " for ch in folded)
    slug = _within_id_length("-".join(kept.split())).strip("-")
    if not any(unicodedata.category(ch)[0] in "LN" for ch in slug):
        return "document-" + hashlib.sha256(folded.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return slug


def _within_id_length(slug: str) -> str:
    """`slug` cut to `MAX_ID_LENGTH` UTF-16 code units."""
    slug = slug[:MAX_ID_LENGTH]
    while len(slug.encode("utf-16-le")) > 2 * MAX_ID_LENGTH:
        slug = slug[:-1]
    return slug


class ArticleReader:
    """Turns a file, or raw bytes with a file name (uploads), into a `SourceDocument`.

    `max_chars` bounds the extracted text as `max_bytes` bounds the file: a small compressed PDF can
    unpack to tens of millions of characters, which would tie up extraction and embedding for hours.
    """

    def __init__(self, max_bytes: int, max_chars: int = 2_000_000) -> None:
        self.max_bytes = max_bytes
        self.max_chars = max_chars

    def read_path(self, path: Path, overrides: dict[str, str] | None = None) -> SourceDocument:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise DocumentError(f"cannot read file: {exc.strerror or exc}") from exc
        self._check_size(size)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DocumentError(f"cannot read file: {exc.strerror or exc}") from exc
        return self.read_bytes(data, path.name, source_path=str(path.resolve()), overrides=overrides)

    def read_bytes(
        self, data: bytes, filename: str, *, source_path: str = "", overrides: dict[str, str] | None = None
    ) -> SourceDocument:
        """Parse `data` by the extension of `filename`; `overrides` win over metadata in the file.
        The document's `path` is `source_path`, else (an upload) the file's name: what tells two files
        that map to one id apart (`Ingestor` refuses the second)."""
        filename = upload_name(filename)
        suffix = Path(filename).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            shown = suffix or "(no extension)"
            raise DocumentError(
                f"unsupported file type {shown}; supported: {' '.join(SUPPORTED_SUFFIXES)}"
            )
        self._check_size(len(data))
        if not data.strip():
            raise DocumentError("empty file")
        if suffix == ".pdf":
            text, metadata = _read_pdf(data, self.max_chars)
        elif suffix in (".html", ".htm"):
            text, metadata = _read_html(_decode_text(data))
        else:
            text, metadata = _read_text(_decode_text(data))
        metadata.update({k: v for k, v in (overrides or {}).items() if v})
        text = clean_article_text(text)
        if not text:
            raise DocumentError("no text left after extraction")
        self._check_chars(len(text))
        stem = Path(filename).stem
        title = metadata.pop("title", "") or _headline(text) or stem
        doc_id = slugify(metadata.pop("id", "") or stem)
        meta = ArticleMeta(
            doc_id=doc_id, title=title, published=metadata.pop("published", ""), source=metadata.pop("source", ""),
            url=metadata.pop("url", ""), author=metadata.pop("author", ""),
        )
        return SourceDocument(meta, text, path=source_path or filename)

    def _check_size(self, size: int) -> None:
        if size > self.max_bytes:
            raise DocumentError(f"file is {size:,} bytes, over the {self.max_bytes:,}-byte limit")

    def _check_chars(self, chars: int) -> None:
        if chars > self.max_chars:
            raise _too_long(self.max_chars)


def _too_long(max_chars: int) -> DocumentError:
    return DocumentError(f"the extracted text is over {max_chars:,} characters; split the document")


def _decode_text(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise DocumentError("binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not valid UTF-8 text (byte {exc.start})") from exc


def _as_text(value: object) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return "" if value is None else str(value).strip()


def _read_text(raw: str) -> tuple[str, dict[str, str]]:
    try:
        post = frontmatter.loads(raw)
    except yaml.YAMLError as exc:
        raise DocumentError(f"invalid YAML front matter: {str(exc).splitlines()[0]}") from exc
    metadata = {str(k).lower(): _as_text(v) for k, v in post.metadata.items()}
    if "date" in metadata and "published" not in metadata:
        metadata["published"] = metadata.pop("date")
    return post.content, metadata


def _read_html(raw: str) -> tuple[str, dict[str, str]]:
    import trafilatura
    from trafilatura.settings import Document

    extracted = trafilatura.bare_extraction(
        raw, with_metadata=True, include_comments=False, include_tables=True, as_dict=False
    )
    if not isinstance(extracted, Document) or not (extracted.text or "").strip():
        raise DocumentError("no article text found in the HTML")
    text = extracted.text or ""
    metadata = {
        "title": _as_text(extracted.title),
        "published": _as_text(extracted.date),
        "source": _as_text(extracted.sitename),
        "url": _as_text(extracted.url),
        "author": _as_text(extracted.author),
    }
    return text, {k: v for k, v in metadata.items() if v}


def _read_pdf(data: bytes, max_chars: int) -> tuple[str, dict[str, str]]:
    """Text of every page, stopping as soon as it exceeds `max_chars` (pages can be many and cheap)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentError("encrypted PDF; upload an unprotected copy")
        pages: list[str] = []
        extracted = 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            extracted += len(pages[-1])
            if extracted > max_chars:
                raise _too_long(max_chars)
        info = reader.metadata
    except DocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(CORRUPT_PDF) from exc
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise DocumentError("the PDF has no extractable text (scanned images?)")
    metadata: dict[str, str] = {}
    title = _as_text(info.title) if info is not None else ""
    if title and not _PLACEHOLDER_PDF_TITLE.fullmatch(title):
        metadata["title"] = title
    author = _as_text(info.author) if info is not None else ""
    if author:
        metadata["author"] = author
    created = _pdf_creation_date(info)
    if created:
        metadata["published"] = created
    return text, metadata


def _pdf_creation_date(info: "DocumentInformation | None") -> str:
    """The PDF's CreationDate as an ISO day: the nearest thing to a publication date a PDF carries
    (a front matter or an explicit date wins over it). "" when absent or malformed."""
    if info is None:
        return ""
    try:
        created = info.creation_date
    except (ValueError, TypeError):
        return ""
    return created.date().isoformat() if created is not None else ""


def _headline(text: str) -> str:
    """The first line, when it reads like a headline: short and without a final period. A document
    without a title that starts with a paragraph would otherwise be titled by its whole first
    sentence; the caller then falls back to the file name."""
    first = text.lstrip().split("\n", 1)[0].strip().lstrip("#").strip()
    if not first or len(first) > HEADLINE_MAX_CHARS or len(first.split()) > HEADLINE_MAX_WORDS:
        return ""
    return "" if first.endswith((".", ",", ";", ":")) else first
