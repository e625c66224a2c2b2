"""The reference docs are generated from the code (``python -m papersift.reference``) and must
match it: a new command, option or setting fails here until ``make docs`` is run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from papersift import reference
from papersift.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_reference_docs_are_what_the_code_generates() -> None:
    stale = reference.stale_files(REPO_ROOT)
    assert not stale, f"{', '.join(stale)} differ from the code; run: {reference.REGENERATE}"


def test_every_setting_is_documented_in_the_settings_reference() -> None:
    documented = (REPO_ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"| `PAPERSIFT_{name.upper()}` |" in documented, name


def test_every_command_is_in_the_cli_reference() -> None:
    documented = (REPO_ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for command in ("ingest", "search", "show", "serve", "eval", "dsi train", "migrate-store"):
        assert f"`papersift {command}`" in documented, command


def test_the_check_names_an_edited_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(REPO_ROOT / "docs", tmp_path / "docs")
    assert reference.main(["--root", str(tmp_path), "--check"]) == 0
    settings_md = tmp_path / "docs" / "settings.md"
    settings_md.write_text(settings_md.read_text().replace("PAPERSIFT_HARVEST_DELAY", "X"))
    assert reference.main(["--root", str(tmp_path), "--check"]) == 1
    assert "docs/settings.md differs from the code" in capsys.readouterr().out
    assert reference.main(["--root", str(tmp_path)]) == 0
    assert reference.stale_files(tmp_path) == []
