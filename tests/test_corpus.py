"""The corpus of attempts (tests/corpus/): every verdict of feedback.check, and every
mistake it names. 0 right answers rejected, 0 wrong ones accepted."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from smgrad import exercises, feedback

# Each module records its attempts when imported; attempts_generic last: it reads the others.
from corpus import attempts_ch1, attempts_ch2, attempts_ch3_6  # noqa: F401
from corpus import attempts_ch4_functions, attempts_generic  # noqa: F401
from corpus.attempts_base import ATTEMPTS

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
        # after "<name>: <verdict>", which every message starts with: the words name
        # what the code does, not the exercise or the verdict
        said = fb.message[len(name):].lstrip(": ").removeprefix(attempt.verdict)
        assert attempt.says.lower() in said.lower(), fb.message
    assert not re.search(r"\bright\b", fb.message), fb.message
    assert "Fix" not in fb.message and "right rule" not in fb.message


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
    """At least three right styles and four wrong attempts of the exercise's own (the
    generic attempts and the stubs, made for every exercise alike, do not count)."""
    own = [a for a in ATTEMPTS
           if not a.label.startswith("generic:") and a.verdict != "not attempted"]
    counts = Counter((a.key, a.verdict == "right") for a in own)
    assert len(ATTEMPTS) >= 250
    for key in exercises.REGISTRY:
        assert counts[key, True] >= 3, f"{key}: fewer than three right styles"
        assert counts[key, False] >= 4, f"{key}: fewer than four wrong attempts"
    assert {a.key for a in ATTEMPTS} == set(exercises.REGISTRY)
