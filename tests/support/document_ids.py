"""What every document id must look like, for the tests of ids, of uploads and of fuzzed uploads."""

import unicodedata

from retrieval.ingest.readers import MAX_ID_LENGTH


def assert_usable_id(doc_id: str) -> None:
    """An id as commands, Chroma and Discord take it: letters, marks and digits (NFKC) joined by
    single hyphens, within Discord's 100-character fields however they are counted."""
    assert doc_id and len(doc_id.encode("utf-16-le")) // 2 <= MAX_ID_LENGTH
    assert not doc_id.startswith("-") and not doc_id.endswith("-") and "--" not in doc_id
    assert all(ch == "-" or unicodedata.category(ch)[0] in "LMN" for ch in doc_id)
    assert doc_id == unicodedata.normalize("NFKC", doc_id)
