"""The exercise registry (smgrad.exercises) against the book: every exercise is
registered once; its statement and its contract say the same things; its check cell
names only the exercise and the answer; its setup cell defines the inputs the reference
uses; and no check cell, in the book or a learner edition, computes an answer or shows a
fix."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

import smgrad
from smgrad import exercises, feedback

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[1]
try:  # tools/ as a package, imported from the repository root
    from tools import make_exercises
except ImportError:  # tools/ as a folder of scripts
    sys.path.insert(0, str(ROOT / "tools"))
    import make_exercises  # noqa: E402

CHAPTERS = make_exercises.chapters()
KEYS = sorted(exercises.REGISTRY)
_LABEL = re.compile(r"\{exercise\}[^\n]*\n:label:\s*(\S+)")


def _book(chapter: str):
    return nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)


def _statement(key: str) -> str:
    ex = exercises.get(key)
    for cell in _book(ex.chapter).cells:
        match = _LABEL.search(cell.source)
        if cell.cell_type == "markdown" and match and match.group(1) == key:
            return " ".join(cell.source.split())
    raise AssertionError(f"no {{exercise}} cell for {key} in book/{ex.chapter}.ipynb")


def _checks():
    """(chapter, label, check cell source) for every exercise of the book."""
    for path in CHAPTERS:
        nb = nbformat.read(path, as_version=4)
        cells = {c.id: c for c in nb.cells}
        for ex in make_exercises.exercises(nb):
            for cell_id in ex.check_cells:
                yield path.stem, ex.label, cells[cell_id]


def test_every_exercise_of_the_book_is_registered_once():
    labels = [label for _, label, _ in _checks()]
    assert sorted(labels) == KEYS


@pytest.mark.parametrize("chapter, label, cell", list(_checks()),
                         ids=[label for _, label, _ in _checks()])
def test_check_cell_names_the_exercise_and_the_answer_only(chapter, label, cell):
    answer = exercises.get(label).answer
    assert exercises.get(label).chapter == chapter
    assert cell.source.strip() == f'feedback.check("{label}", {answer})'
    for out in cell.get("outputs", []):
        text = out.get("text", "") or out.get("data", {}).get("text/plain", "")
        assert text.strip() == f"{answer}: right", text


@pytest.mark.parametrize("key", KEYS)
def test_statement_holds_the_contracts_phrases(key):
    text = _statement(key)
    for phrase in exercises.get(key).phrases:
        assert " ".join(phrase.split()) in text, f"{key}: {phrase!r} not in the statement"


#: What a statement may say, and the contract that must then hold (and conversely).
_STATED = {
    "no loop": r"no Python loop",
    "no smgrad": r"no `smgrad`",
    "no jacobian": r"build no Jacobian|without building a Jacobian",
    "engine": r"calls `backward\(\)`",
}


@pytest.mark.parametrize("key", KEYS)
def test_stated_constraints_are_checked_and_checked_ones_stated(key):
    ex, text = exercises.get(key), _statement(key)
    for constraint, words in _STATED.items():
        stated = re.search(words, text, re.I) is not None
        assert stated == (constraint in ex.constraints), (key, constraint)
    if "no jacobian" in ex.constraints:
        assert ex.memory_probe is not None


@pytest.mark.parametrize("key", KEYS)
def test_promised_shapes_and_dtypes_are_probed(key):
    ex, text = exercises.get(key), _statement(key)
    shapes = [np.shape(p.args[0]) for p in ex.probes]
    if "(..., n)" in text or "any number of leading batch axes" in text:
        assert any(len(s) == 1 for s in shapes) and any(len(s) >= 3 for s in shapes), key
    if re.search(r"\(batch, (n|classes)\)", text):
        assert any(len(s) == 2 and s[0] == s[1] for s in shapes), key
        assert any(len(s) == 2 and s[0] != s[1] for s in shapes), key
    for dtype, words in (("float32", "returned as a float32"), ("float64", "float64"),
                         ("int", "an `int`")):
        if words in text:
            assert ex.dtype == dtype, key
        elif dtype != "float32":  # float32 is the default: a statement need not say it
            assert ex.dtype != dtype, key
    if "as large as 1000" in text or "$10^4$" in text:
        assert any(np.max(np.abs(np.asarray(p.args[0])[np.isfinite(p.args[0])])) >= 1000
                   for p in ex.probes), key


def test_setup_cells_define_the_inputs_the_references_use():
    for chapter in {exercises.get(k).chapter for k in KEYS}:
        nb = _book(chapter)
        wanted = {name: value for k in KEYS if exercises.get(k).chapter == chapter
                  for name, value in exercises.get(k).inputs.items()}
        if not wanted:
            continue
        namespace = {"np": np, "smgrad": smgrad}
        inside = False
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                inside = ("{exercise}" in cell.source or inside) and (
                    "{solution-start}" not in cell.source)
            elif inside and set(wanted) & set(re.findall(r"^(\w+) =", cell.source, re.M)):
                exec(cell.source, namespace)
        for name, value in wanted.items():
            assert np.array_equal(namespace[name], value), (chapter, name)


# --- nothing a learner sees holds an answer ----------------------------------------------

#: Calls that compute a reference: never in a check cell.
FORBIDDEN = re.compile(r"softmax\(|softmax_vjp\(|softmax_jvp\(|jacobian\(|cross_entropy|"
                       r"numerical_vjp\(|numerical_jacobian\(|tensordot\(|einsum\(|"
                       r"\.nbytes|torch|frameworks|logsumexp\(|autograd_gradient")


def _learner_editions():
    return [nbformat.read(ROOT / "exercises" / p.name, as_version=4) for p in CHAPTERS]


def test_no_check_cell_computes_a_reference():
    sources = [cell.source for _, _, cell in _checks()]
    for nb in _learner_editions():
        sources += [c.source for c in nb.cells if "feedback.check(" in c.source]
    assert len(sources) == 2 * len(KEYS)
    for source in sources:
        assert not FORBIDDEN.search(source), source


def test_no_learner_edition_shows_a_fix_or_an_output():
    for nb in _learner_editions():
        for cell in nb.cells:
            assert not cell.get("outputs")
            assert "Fix:" not in cell.source and "the right rule is" not in cell.source


@pytest.mark.parametrize("key", KEYS)
def test_every_exercise_has_a_wrong_answer_the_book_names(key):
    """The solution cell's smgrad metadata: a wrong answer and a word its feedback says
    (tests/learner runs it in the learner edition; here the registry is checked)."""
    ex = exercises.get(key)
    nb = _book(ex.chapter)
    cells = {c.id: c for c in nb.cells}
    (found,) = [e for e in make_exercises.exercises(nb) if e.label == key]
    meta = cells[found.solution_cells[0]].metadata["smgrad"]
    assert meta["wrong"] and meta["names_mistake"]


def test_register_rejects_a_second_exercise_with_a_known_key():
    with pytest.raises(ValueError, match="already registered"):
        exercises.register(exercises.get("ch1-ex1"))
    with pytest.raises(ValueError, match="no exercise 'ch9-ex9'"):
        feedback.check("ch9-ex9", 1.0)


def test_feedback_reads_diagnose_fields_not_its_text():
    """A rule diagnose names: the message is diagnose's words, the mistake its field."""
    fb = feedback.check("ch3-ex-vjp", lambda s, g: g * s * (1 - s))
    assert fb.status == "wrong" and fb.mistake == "diagonal_only"
    assert "Fix" not in fb.message
