"""What a user is told when something they can fix goes wrong: one table for Discord, the CLI and
the terminal session, so the three never drift apart.

Each surface decides only how to show a `UserFacingError`: Discord shows `message` (never `detail`,
which can name hosts and paths of the server), the CLI and the terminal show both, and the CLI
exits with `exit_code`. Errors that are not in the table are bugs: the caller logs them.
"""

from collections.abc import Callable
from dataclasses import dataclass

from retrieval import DocumentNotFound, FeedError, NoWebDocument, QuestionError, StoreDamaged, StoreUnavailable, UnknownFeed

EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_STORE_UNAVAILABLE = 4
EXIT_STORE_DAMAGED = 5

STORE_UNAVAILABLE = "The document store is unreachable right now; please try again in a minute."
STORE_DAMAGED = "The document store is damaged and cannot be read until it is restored."


@dataclass(frozen=True)
class UserFacingError:
    message: str
    """One or two sentences the asker can act on; safe to show anyone."""
    detail: str
    """What the operator needs to fix it (the store's address and error); "" when nothing more."""
    exit_code: int
    icon: str = ""
    """Shown before the message where messages carry icons (Discord)."""

    @property
    def for_operator(self) -> str:
        """The message with the detail, for the CLI and the terminal (never for Discord)."""
        return f"{self.message} ({self.detail})" if self.detail else self.message


def explain(
    error: BaseException, *, sources_command: str, quote: Callable[[str], str] = repr
) -> UserFacingError | None:
    """The table. `sources_command` is how this surface lists documents ("/sources", "citebot
    sources"); `quote` renders a value the user typed (Discord escapes markdown, a terminal quotes)."""
    if isinstance(error, QuestionError):
        return UserFacingError(str(error), "", EXIT_USAGE)
    if isinstance(error, DocumentNotFound):
        message = f"No document {quote(error.doc_id)} here: {sources_command} lists the documents I can use."
        return UserFacingError(message, "", EXIT_NOT_FOUND)
    if isinstance(error, UnknownFeed):  # before FeedError, which it is a kind of
        return UserFacingError(f"No feed {quote(error.feed)} is subscribed here.", "", EXIT_NOT_FOUND)
    if isinstance(error, FeedError):
        return UserFacingError(f"The feed was not added: {error}.", "", EXIT_USAGE)
    if isinstance(error, NoWebDocument):
        message = f"No web document {quote(error.doc_id)} here: only documents fetched from a URL can be refreshed."
        return UserFacingError(message, "", EXIT_NOT_FOUND)
    if isinstance(error, StoreDamaged):  # before StoreUnavailable, which it is a kind of
        detail = f"{error}. Stop citebot, then {error.remedy}; README: Backup and recovery"
        return UserFacingError(STORE_DAMAGED, detail, EXIT_STORE_DAMAGED, icon="🛠️")
    if isinstance(error, StoreUnavailable):
        return UserFacingError(STORE_UNAVAILABLE, str(error), EXIT_STORE_UNAVAILABLE, icon="📡")
    return None
