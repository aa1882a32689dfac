"""The corpus as a list of documents, without the embedder or llama-index: what `citebot sources`
lists, and whether an ingest run would change anything (`UnchangedCheck`), each in about the time
it takes to open the store. The full `AnswerService` loads the model; these commands must not."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.index.store import CorpusStore
from retrieval.models.records import SHARED_SCOPE, SourceInfo

if TYPE_CHECKING:
    from retrieval.ingest.discovery import UnchangedCheck
    from retrieval.models.answers import IngestReport


@dataclass(frozen=True)
class Catalog:
    """`build_unchanged_check` is called on first use: listing the sources reads no file."""

    store: CorpusStore
    build_unchanged_check: Callable[[], "UnchangedCheck"]

    @cached_property
    def unchanged_check(self) -> "UnchangedCheck":
        return self.build_unchanged_check()

    def sources(self, scopes: Sequence[str] = (SHARED_SCOPE,)) -> list[SourceInfo]:
        """The live documents of `scopes`, as `AnswerService.sources` lists them."""
        return [record.source_info() for record in self.store.documents(scopes)]

    def unchanged(
        self, paths: Sequence[Path], scope: str = SHARED_SCOPE, overrides: dict[str, str] | None = None
    ) -> "IngestReport | None":
        """The report of an ingest of `paths` that would change nothing; None when it would."""
        return self.unchanged_check.report(paths, scope, overrides)
