"""The Makefile explains itself: `make help` names every target, one line each, and
`make test` runs every test target. Only `make help` and `make -n` run here (nothing is
built or removed)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
# `name: prerequisites` at the start of a line: a target a person types (not a file
# target such as $(STAMP), not a variable assignment such as `PY := ...`).
TARGETS = sorted(set(re.findall(r"^([a-z][a-z0-9-]*):(?![:=])", MAKEFILE, re.M)))

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make(*args: str) -> str:
    result = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), *args],
                            capture_output=True, text=True, timeout=60, check=True)
    return result.stdout


@pytest.fixture(scope="module")
def help_lines() -> dict[str, str]:
    lines = {}
    for line in make("help").splitlines():
        match = re.match(r"\s+make ([a-z][a-z0-9-]*)\s+(.+)$", line)
        if match:
            assert match.group(1) not in lines, f"{match.group(1)} listed twice"
            lines[match.group(1)] = match.group(2)
    return lines


def test_the_makefile_has_the_targets_people_use():
    assert {"help", "book", "test", "clean", "distclean"} <= set(TARGETS)


def test_help_names_every_target_with_one_line(help_lines):
    assert sorted(help_lines) == TARGETS
    assert all(len(text) >= 10 for text in help_lines.values())


def test_help_is_the_default_goal():
    assert make() == make("help")


def test_clean_says_what_it_keeps_and_distclean_removes_it(help_lines):
    assert re.search(r"keeps .*\.venv.*\.venv-np2.*\.katex", help_lines["clean"])
    clean, distclean = make("-n", "clean"), make("-n", "distclean")
    assert not re.search(r"rm -rf [^\n]*\.venv", clean)
    assert re.search(r"rm -rf \.venv \.venv-np2 \.katex", distclean)


def test_make_test_runs_every_test_target():
    prerequisites = re.search(r"^test:([^#\n]*)", MAKEFILE, re.M).group(1).split()
    test_targets = [t for t in TARGETS if t.startswith("test-")]
    assert sorted(set(test_targets) - set(prerequisites)) == []


def test_check_runs_the_unit_tests_and_stops_at_the_first_failure():
    """`make check`, the edit-test loop, runs exactly what `make test-unit` runs."""
    def pytest_line(target: str) -> str:
        lines = [line for line in make("-n", target).splitlines() if " -m pytest " in line]
        assert len(lines) == 1, lines
        return lines[0]

    assert pytest_line("check") == pytest_line("test-unit") + " -x -q"
