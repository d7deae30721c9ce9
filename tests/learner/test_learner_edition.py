"""The learner edition (exercises/): made by tools/make_exercises.py from the book and
committed; free of solutions; and, when a learner runs it, giving the feedback it promises:
"not attempted" for every untouched stub, "right" for the book's solutions, and the
mistake's name for a known wrong answer.

Each chapter's learner edition is executed three times (as generated, with the book's
solutions put back, with the known wrong answers put in), in a fresh kernel each time.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[2]
from tools import make_exercises  # noqa: E402

CHAPTERS = make_exercises.chapters()
IDS = [p.stem for p in CHAPTERS]


def _book(path: Path):
    return nbformat.read(path, as_version=4)


def _edition(path: Path):
    return nbformat.read(ROOT / "exercises" / path.name, as_version=4)


def _solution_lines(source: str) -> list[str]:
    """The lines of a solution that would give it away: code, not comments or blanks."""
    lines = []
    for line in source.split("\n"):
        text = line.strip()
        if len(text) < 12 or text.startswith(("#", "import ", "from ", "return", "def ", '"""',
                                              "class ", "@")):
            continue
        lines.append(text)
    return lines


def _run(nb) -> object:
    """Execute ``nb`` in a fresh kernel from exercises/ (where a learner opens it)."""
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=600,
                                     resources={"metadata": {"path": str(ROOT / "exercises")}})
    client.execute()
    return nb


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif "data" in out:
            parts.append(out["data"].get("text/plain", ""))
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
    return "".join(parts)


def _checks(path: Path) -> dict[str, list[str]]:
    """Exercise label -> ids of its check cells."""
    return {e.label: e.check_cells for e in make_exercises.exercises(_book(path))}


def _with_sources(path: Path, wrong: bool):
    """The learner edition with the book's solutions in the stubs (and, if ``wrong``,
    each exercise's known wrong answer instead, where the book gives one)."""
    book = {c.id: c for c in _book(path).cells}
    nb = _edition(path)
    for cell in nb.cells:
        original = book.get(cell.get("id"))
        if original is None or cell.cell_type != "code" or original.source == cell.source:
            continue
        known = original.metadata.get("smgrad", {})
        cell.source = known["wrong"] if wrong and "wrong" in known else original.source
    return nb


def _wrong_answers(path: Path) -> dict[str, dict]:
    """Exercise label -> the ``smgrad`` metadata of its solution cell that has one."""
    book = _book(path)
    cells = {c.id: c for c in book.cells}
    found = {}
    for exercise in make_exercises.exercises(book):
        for cell_id in exercise.solution_cells:
            meta = cells[cell_id].metadata.get("smgrad", {})
            if "wrong" in meta:
                found[exercise.label] = meta
    return found


# --- generated and committed ----------------------------------------------------------


def test_there_is_a_learner_edition_per_chapter_with_exercises():
    assert CHAPTERS, "no chapter has exercises"
    committed = sorted(p.name for p in (ROOT / "exercises").glob("*.ipynb"))
    assert committed == sorted(p.name for p in CHAPTERS), "run `make exercises`"


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_committed_learner_edition_is_what_make_exercises_makes(path):
    committed = (ROOT / "exercises" / path.name).read_text(encoding="utf-8")
    assert committed == make_exercises.render(path), (
        f"exercises/{path.name} differs from what `make exercises` makes from "
        f"book/{path.name}; never edit it by hand: run `make exercises`")


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_learner_edition_holds_no_solution(path):
    book = {c.id: c for c in _book(path).cells}
    edition = _edition(path)
    text = "\n".join(c.source for c in edition.cells)
    solutions = [cid for e in make_exercises.exercises(_book(path)) for cid in e.solution_cells]
    assert solutions
    for cell_id in solutions:
        for line in _solution_lines(book[cell_id].source):
            assert line not in text, f"solution line in exercises/{path.name}: {line!r}"
    assert "solution-start" not in text and "solution-end" not in text
    for cell in edition.cells:
        assert not cell.get("outputs"), "the learner edition has its outputs cleared"


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_every_exercise_has_a_hint_and_a_check(path):
    book = _book(path)
    exercises = make_exercises.exercises(book)
    markdown = "\n".join(c.source for c in book.cells if c.cell_type == "markdown")
    assert markdown.count("{hint}") >= len(exercises), "each exercise needs a {hint}"
    for exercise in exercises:
        assert exercise.check_cells, f"{exercise.label} has no check cell"
        cells = {c.id: c for c in book.cells}
        assert any("feedback." in cells[i].source for i in exercise.check_cells), (
            f"{exercise.label}: the check cell should call smgrad.feedback")


def test_each_chapter_has_a_wrong_answer_that_feedback_names():
    for path in CHAPTERS:
        assert _wrong_answers(path), (
            f"book/{path.name}: no solution cell carries smgrad.wrong metadata")


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_chapter_page_links_to_its_learner_edition(path):
    sources = [c.source for c in _book(path).cells if c.get("id") == make_exercises.LINK_CELL_ID]
    assert sources == [make_exercises.link_cell_source(path.stem)], (
        "run `python -m tools.make_exercises --links`")
    for url in make_exercises.launch_urls(path.stem).values():
        assert url.endswith(f"exercises%2F{path.stem}.ipynb") or url.endswith(
            f"exercises/{path.stem}.ipynb")


# --- run as a learner would ------------------------------------------------------------


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_as_generated_it_runs_and_every_check_says_not_attempted(path):
    nb = _run(_edition(path))
    cells = {c.get("id"): c for c in nb.cells}
    for label, check_ids in _checks(path).items():
        for cell_id in check_ids:
            text = _text(cells[cell_id])
            assert re.search(r"not attempted", text, re.I), f"{label}: {text!r}"
            assert "Traceback" not in text
    for cell in nb.cells:  # chapter cells that call smgrad.diagnose show no fix either
        text = _text(cell)
        assert "Fix" not in text and "the right rule is" not in text, text


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_with_the_books_solutions_every_check_says_right(path):
    nb = _run(_with_sources(path, wrong=False))
    cells = {c.get("id"): c for c in nb.cells}
    for label, check_ids in _checks(path).items():
        text = "".join(_text(cells[i]) for i in check_ids)
        assert re.search(r"\bright\b", text, re.I), f"{label}: {text!r}"
        assert not re.search(r"not attempted|\bwrong\b", text, re.I), f"{label}: {text!r}"


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_with_a_known_wrong_answer_the_feedback_names_the_mistake(path):
    wrong = _wrong_answers(path)
    nb = _run(_with_sources(path, wrong=True))
    cells = {c.get("id"): c for c in nb.cells}
    checks = _checks(path)
    for label, meta in wrong.items():
        text = "".join(_text(cells[i]) for i in checks[label])
        assert not re.search(r"\bright\b(?! rule)", text.split("\n")[0], re.I), text
        assert meta["names_mistake"].lower() in text.lower(), (
            f"{label}: expected the feedback to name {meta['names_mistake']!r}, got {text!r}")
