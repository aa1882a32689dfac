"""What an article is, as its reader found it: one description carried unchanged from the reader to
the document record, each passage, each citation and the sources list, so that no stage copies its
fields one by one (and none forgets one)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ArticleMeta:
    """An article's id and what it says of itself: title, publication date, outlet, link, author.
    All of it is part of a version's content hash (`SourceDocument.content_hash`)."""

    doc_id: str
    title: str
    published: str = ""
    source: str = ""
    url: str = ""
    author: str = ""


class DescribesArticle:
    """The fields of `meta`, read on the object that carries it (a record, a passage, a citation)."""

    meta: ArticleMeta

    @property
    def doc_id(self) -> str:
        return self.meta.doc_id

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def published(self) -> str:
        return self.meta.published

    @property
    def source(self) -> str:
        return self.meta.source

    @property
    def url(self) -> str:
        return self.meta.url

    @property
    def author(self) -> str:
        return self.meta.author
