"""CITATION.cff is valid Citation File Format 1.2.0 (so GitHub offers "Cite this
repository") and agrees with the package and the book.

The schema, ``tests/schemas/cff-1.2.0.json``, is the Citation File Format project's
JSON schema for version 1.2.0 (CC BY 4.0), as shipped inside cffconvert 2.0.0's wheel.
cffconvert itself is not used: it needs jsonschema < 4, which the book's environment
cannot have (jupyter-book and nbformat use jsonschema 4).
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator, FormatChecker

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "cff-1.2.0.json").read_text())


class _CffLoader(yaml.SafeLoader):
    """YAML as CFF reads it: a date stays the string it is written as (the schema checks
    its format), instead of becoming a ``datetime.date``."""


_CffLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_cff(text: str) -> dict:
    return yaml.load(text, Loader=_CffLoader)


def schema_errors(data: dict) -> list[str]:
    validator = Draft7Validator(SCHEMA, format_checker=FormatChecker())
    return sorted(f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
                  for e in validator.iter_errors(data))


@pytest.fixture(scope="module")
def citation() -> dict:
    return load_cff((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def test_citation_file_is_valid_cff_1_2_0(citation):
    assert citation["cff-version"] == "1.2.0"
    assert schema_errors(citation) == []


@pytest.mark.parametrize("break_it", [
    lambda d: d.pop("authors"),
    lambda d: d.pop("message"),
    lambda d: d.update({"cff-version": "1.2"}),
    lambda d: d.update({"license": "MIT License"}),           # not an SPDX identifier
    lambda d: d.update({"date-released": "31 December 2026"}),  # not YYYY-MM-DD
    lambda d: d.update({"authors": [{"given-names": ""}]}),
    lambda d: d.update({"titel": "a misspelt key"}),
], ids=["no-authors", "no-message", "bad-version", "bad-license", "bad-date",
        "empty-author", "unknown-key"])
def test_a_broken_citation_file_is_rejected(citation, break_it):
    broken = copy.deepcopy(citation)
    break_it(broken)
    assert schema_errors(broken) != []


def test_a_date_is_read_as_written():
    assert load_cff("date-released: 2026-01-31")["date-released"] == "2026-01-31"


def test_citation_agrees_with_the_package_and_the_book(citation):
    if sys.version_info < (3, 11):
        pytest.skip("tomllib is in the standard library from Python 3.11")
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    book = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert citation["version"] == project["version"]
    assert citation["title"] == book["title"]
    assert citation["repository-code"] == book["repository"]["url"].rstrip("/")
    code_license = project["license"]  # "MIT", or {text = "MIT"} before PEP 639
    assert "MIT" in citation["license"]
    assert (code_license if isinstance(code_license, str) else code_license["text"]) == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert "CC-BY-SA-4.0" in citation["license"]
    assert (ROOT / "LICENSES" / "CC-BY-SA-4.0.txt").is_file()
