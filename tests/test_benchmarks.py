"""benchmarks/results: every published timing comes from today's kernels.

Each results file saves which kernel sources it measured and their sha256; the speed
chapter and the README quote these files. When a kernel source changes, the hash no longer
matches and this test fails until ``make bench`` records the numbers again.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RESULTS = sorted((ROOT / "benchmarks" / "results").glob("*.json"))
#: The sources whose code the timings measure, at the least.
KERNELS = {"smgrad/_rows.py", "smgrad/_arrays.py"}


def sha256_of(sources: list[str]) -> str:
    """The hash ``benchmarks/bench_softmax.py`` saves: each path, a NUL, its bytes."""
    digest = hashlib.sha256()
    for name in sources:
        digest.update(name.encode() + b"\0" + (ROOT / name).read_bytes())
    return digest.hexdigest()


def test_the_chapter_has_results_for_both_environments():
    names = {path.name for path in RESULTS}
    assert {"numpy-2.x.json", "numpy-1.23.5.json"} <= names, names
    assert any(name.startswith("block-sweep-") for name in names), names


@pytest.mark.parametrize("path", RESULTS, ids=lambda p: p.name)
def test_results_were_measured_on_todays_kernels(path):
    """Fails when a kernel source changed after the recording: run `make bench` (and
    `make notebooks`, for the speed chapter) and commit the new results."""
    provenance = json.loads(path.read_text())["provenance"]
    assert KERNELS <= set(provenance["kernel_sources"]), provenance["kernel_sources"]
    assert provenance["kernel_sha256"] == sha256_of(provenance["kernel_sources"]), (
        f"{path.name} was recorded on other kernel sources than today's: re-run make bench")
    # False where git could tell; None where the tree was a copy without git, whose
    # commit was given (--commit): the hash above is then the check
    changed = provenance["kernel_sources_changed_since_commit"]
    assert changed is False or (changed is None
                                and provenance.get("commit_from") == "--commit"), changed


@pytest.mark.parametrize("path", RESULTS, ids=lambda p: p.name)
def test_results_say_where_and_when(path):
    result = json.loads(path.read_text())
    assert re.fullmatch(r"[0-9a-f]{40}", result["provenance"]["commit"] or "")
    assert datetime.datetime.fromisoformat(result["provenance"]["date"]).tzinfo is not None
    assert result["machine"]["cpu"] and result["machine"]["l2_bytes"] > 0
