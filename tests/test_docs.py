"""The reference docs are generated from the code (``python -m papersift.reference``) and must
match it: a new command, option or setting fails here until ``make docs`` is run."""

from __future__ import annotations

import re
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
    assert reference.main(["--root", str(tmp_path), "--check"]) == 1  # nothing written yet
    assert reference.main(["--root", str(tmp_path)]) == 0
    assert reference.main(["--root", str(tmp_path), "--check"]) == 0
    settings_md = tmp_path / "docs" / "settings.md"
    settings_md.write_text(settings_md.read_text().replace("PAPERSIFT_HARVEST_DELAY", "X"))
    assert reference.main(["--root", str(tmp_path), "--check"]) == 1
    assert "docs/settings.md differs from the code" in capsys.readouterr().out
    assert reference.main(["--root", str(tmp_path)]) == 0
    assert reference.stale_files(tmp_path) == []


def test_the_readme_stays_a_readers_document() -> None:
    readme = REPO_ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert readme.stat().st_size <= 20_000, "move reference material and measurements to docs/"
    assert text.count("\n") <= 250
    assert "make demo\nmake test\n" in text  # the two-command quick start


def test_every_local_link_in_the_docs_resolves() -> None:
    files = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
    broken = []
    for path in files:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8")):
            if "://" not in target and not (path.parent / target).exists():
                broken.append(f"{path.relative_to(REPO_ROOT)} -> {target}")
    assert not broken, broken


def test_every_benchmark_table_names_its_command_and_result_file() -> None:
    text = (REPO_ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    blocks = text.split("\n\n")
    tables = [i for i, block in enumerate(blocks) if block.startswith("|")]
    assert tables
    for i in tables:
        source = blocks[i + 1] if i + 1 < len(blocks) else ""
        assert source.startswith("*Command") and "*Result file" in source, blocks[i][:80]
    for cited in re.findall(r"\(\.\./(bench/results/[^)]+)\)", text):
        assert (REPO_ROOT / cited).is_file(), cited
