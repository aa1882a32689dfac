"""What the citation check found: a verdict per claim (`ClaimCheck`) and the report of an answer
(`CheckReport`), shown by `--json` and the bot's check footer."""

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class ClaimCheck:
    """One sentence of an LLM answer as the citation check saw it.

    `outcome`: kept (a source it cites supports it), reattributed (kept, under the source that
    supports it instead of the one it cites), unsupported (no source supports it) or uncited (it
    cites nothing and no source supports it). `score` is the best support found, kept or not.
    """

    text: str
    markers: list[int]
    outcome: Literal["kept", "reattributed", "unsupported", "uncited", "restated"]
    score: float

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "markers": self.markers, "outcome": self.outcome, "score": round(self.score, 4)}


@dataclass(frozen=True)
class CheckReport:
    """What the citation check did to one LLM answer: how many sentences (claims) it read, kept and
    dropped, and why, claim by claim."""

    claims: int
    kept: int
    uncited: int
    unsupported: int
    invalid_markers: int
    reattributed: int = 0
    restated: int = 0
    checks: list[ClaimCheck] = field(default_factory=list)

    @property
    def dropped(self) -> int:
        return self.uncited + self.unsupported + self.restated

    def to_json(self) -> dict[str, Any]:
        counts = {k: v for k, v in asdict(self).items() if k != "checks"}
        return {**counts, "checks": [c.to_json() for c in self.checks]}
