"""The corpus of attempts (tests/corpus/): every verdict of feedback.check, and every
mistake it names. 0 right answers rejected, 0 wrong ones accepted."""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from smgrad import exercises, feedback

sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))
import attempts_ch1  # noqa: E402,F401  (each module records its attempts)
import attempts_ch2  # noqa: E402,F401
import attempts_ch3_6  # noqa: E402,F401
import attempts_ch4_functions  # noqa: E402,F401
import attempts_generic  # noqa: E402,F401  (last: it reads the others)
from attempts_base import ATTEMPTS  # noqa: E402

IDS = [f"{a.key}: {a.label}" for a in ATTEMPTS]

#: A check never warns: the learner's overflow is part of the verdict, not of stderr.
pytestmark = pytest.mark.filterwarnings("error")


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=IDS)
def test_attempt_gets_its_verdict(attempt):
    fb = feedback.check(attempt.key, attempt.answer)
    assert fb.status == attempt.verdict, fb.message
    name = exercises.get(attempt.key).answer
    assert fb.message.startswith(name)
    if attempt.verdict == "right":
        assert fb.message == f"{name}: right"
        return
    if attempt.says:
        assert attempt.says.lower() in fb.message.lower(), fb.message
    first_line = fb.message.split("\n")[0]
    assert not re.search(r"\bright\b", fb.message), fb.message
    assert "Fix" not in fb.message and "right rule" not in fb.message
    assert first_line


def _reference_values(key: str) -> np.ndarray:
    ex = exercises.get(key)
    if ex.is_value:
        return np.ravel(np.asarray(ex.reference(), dtype=np.float64))
    with np.errstate(all="ignore"):
        return np.concatenate([np.ravel(np.asarray(ex.reference(*p.args), dtype=np.float64))
                               for p in ex.probes])


@pytest.mark.parametrize("attempt", [a for a in ATTEMPTS if a.verdict != "right"],
                         ids=[i for a, i in zip(ATTEMPTS, IDS) if a.verdict != "right"])
def test_feedback_never_shows_the_reference(attempt):
    """No digits of a right value (three decimals or more, or a whole number of more
    than two digits) in the message of a wrong attempt."""
    message = feedback.check(attempt.key, attempt.answer).message
    values = _reference_values(attempt.key)
    values = values[np.isfinite(values) & (np.abs(values) > 1e-3)]
    for v in values:
        shown = (f"{abs(v):.0f}" if float(v).is_integer() and abs(v) >= 100
                 else f"{abs(v):.3f}")
        if shown in ("0.000", "0.001"):
            continue
        assert shown not in message, (shown, message)


def test_the_corpus_covers_every_exercise():
    counts = Counter((a.key, a.verdict == "right") for a in ATTEMPTS)
    assert len(ATTEMPTS) >= 250
    for key in exercises.REGISTRY:
        assert counts[key, True] >= 3, f"{key}: fewer than three right styles"
        assert counts[key, False] >= 4, f"{key}: fewer than four wrong attempts"
    assert {a.key for a in ATTEMPTS} == set(exercises.REGISTRY)
