"""A package people can cite and type-check: mypy passes, py.typed ships, CITATION.cff and CHANGELOG.md hold."""
import configparser
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

import nanoae
from tests.conftest import public_modules

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


# Linear.backward's def line is the one tutorial 2 quotes (tests/test_stepping_through.py pins it).
UNANNOTATED_ON_PURPOSE = {"nanoae.layers.linear.Linear.backward"}


def missing_annotations(function, skip_first: bool) -> list:
    """The parameters (but self/cls) and "return" that ``function`` leaves without a hint."""
    import inspect
    signature = inspect.signature(function)
    parameters = list(signature.parameters.values())[1 if skip_first else 0:]
    missing = [p.name for p in parameters if p.annotation is inspect.Parameter.empty]
    return missing + (["return"] if signature.return_annotation is inspect.Signature.empty else [])


def public_functions():
    """(qualified name, function, is a method) for every public function and method (and __init__) of nanoae:
    functions defined in a public module, and the methods of the public classes defined there.  Wrappers
    (scikit-learn's, contextlib's) are looked through; what Python or a library adds (a Protocol's
    __init__) is left out."""
    import importlib
    import inspect
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if name.startswith("_"):
                continue
            if inspect.isfunction(value) and value.__module__ == module_name:
                yield f"{module_name}.{name}", inspect.unwrap(value), False
            elif inspect.isclass(value) and value.__module__ == module_name:
                for attribute, member in vars(value).items():
                    if attribute.startswith("_") and attribute != "__init__":
                        continue
                    function = member.fget if isinstance(member, property) else member
                    is_static = isinstance(member, staticmethod)
                    if isinstance(function, (staticmethod, classmethod)):
                        function = function.__func__
                    if not inspect.isfunction(function):
                        continue
                    function = inspect.unwrap(function)
                    if not function.__module__.startswith("nanoae"):
                        continue
                    yield f"{module_name}.{name}.{attribute}", function, not is_static


def test_every_public_function_and_method_is_annotated():
    """Every parameter and the return of the public API carry type hints (mypy then checks the bodies)."""
    functions = list(public_functions())
    assert len(functions) > 400, len(functions)              # the walk found the API (552 when this was written)
    lacking = {name: missing for name, function, is_method in functions
               if name not in UNANNOTATED_ON_PURPOSE and (missing := missing_annotations(function, is_method))}
    assert not lacking, "\n".join(f"{name}: no hint for {', '.join(missing)}" for name, missing in lacking.items())


def test_the_annotation_walk_finds_a_missing_hint():
    """The walk above can fail: a function without hints is caught."""
    def planted(x, y: int):
        return x
    assert missing_annotations(planted, skip_first=False) == ["x", "return"]
    assert "nanoae.layers.linear.Linear.backward" in {name for name, _, _ in public_functions()}
