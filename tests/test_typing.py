"""A package people can cite and type-check: mypy passes, py.typed ships, CITATION.cff and CHANGELOG.md hold."""
import configparser
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

import nanoae

ROOT = Path(__file__).resolve().parent.parent
KEEP_A_CHANGELOG_TYPES = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def setup_cfg() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return config


def test_mypy_finds_no_errors_in_the_package():
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install mypy, or the dev extra)")
    result = subprocess.run([sys.executable, "-m", "mypy", "--config-file", "setup.cfg", "nanoae"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_configured_in_setup_cfg():
    config = setup_cfg()
    assert config.has_section("mypy")
    assert config.get("mypy", "ignore_missing_imports") == "True"     # cupy, sklearn, torch, matplotlib optional
    assert config.get("mypy-nanoae.layers.*", "disallow_untyped_defs") == "True"


def test_the_package_is_marked_as_typed():
    assert (ROOT / "nanoae" / "py.typed").is_file()


def test_py_typed_is_shipped_with_the_package():
    shipped = setup_cfg().get("options.package_data", "nanoae")
    assert "py.typed" in [name.strip() for name in shipped.split(",")]


def citation_fields(text: str) -> dict:
    """The top-level ``key: value`` lines of a CFF file (enough to check it without a YAML library)."""
    fields = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z][\w-]*):\s*(.*)$", line)
        if match:
            fields[match.group(1)] = match.group(2).strip().strip('"')
    return fields


def test_citation_cff_has_the_fields_cff_1_2_0_requires():
    fields = citation_fields((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert fields["cff-version"] == "1.2.0"
    assert fields["title"] == "nanoae"
    assert fields["message"]
    assert "authors" in fields
    assert fields["license"] == "MIT"


def test_citation_cff_cites_the_version_the_package_reports():
    fields = citation_fields((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert fields["version"] == nanoae.__version__
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", fields["date-released"])


def test_citation_cff_is_yaml_with_named_authors():
    yaml = pytest.importorskip("yaml", reason="PyYAML not installed: the key: value check above still ran")
    data = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    assert data["authors"] and all("name" in a or "family-names" in a for a in data["authors"])


def changelog_headings() -> list:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    return re.findall(r"^(#{2,3}) (.+)$", text, flags=re.MULTILINE)


def test_changelog_opens_with_an_unreleased_section():
    releases = [title for level, title in changelog_headings() if level == "##"]
    assert releases[0] == "[Unreleased]"


def test_changelog_sections_after_unreleased_are_dated_newest_first():
    releases = [title for level, title in changelog_headings() if level == "##"][1:]
    dates = [re.match(r"(\d{4}-\d{2}-\d{2})", title) for title in releases]
    assert releases and all(dates), releases
    assert [d.group(1) for d in dates] == sorted((d.group(1) for d in dates), reverse=True)


def test_changelog_groups_changes_by_keep_a_changelog_types():
    kinds = {title for level, title in changelog_headings() if level == "###"}
    assert kinds and kinds <= KEEP_A_CHANGELOG_TYPES, kinds
    assert "keepachangelog.com/en/1.1.0" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
