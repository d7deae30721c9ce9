"""tools/make_exercises.py on small hand-made notebooks: stubs, hints, solutions removed."""

from __future__ import annotations

import pytest

nbformat = pytest.importorskip("nbformat")

import make_exercises as me  # noqa: E402  (tools/, see conftest.py)

EXERCISE = """```{exercise}
:label: t-ex1

Compute `answer`, shape `(2,)`.
```"""
HINT = """```{hint}
:class: dropdown
Use a one-hot vector.
```"""


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    for kind, source in cells:
        make = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        nb.cells.append(make(source))
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i}"
    return nb


def _chapter(solution="import numpy as np\nhelper = np.eye(2)\nanswer = helper[0] * 7\n"):
    return _notebook(
        ("md", "## Exercises\n\nOne exercise."),
        ("md", EXERCISE),
        ("md", HINT),
        ("code", "x = 1"),
        ("md", "```{solution-start} t-ex1\n:class: dropdown\n```\nIt is row 0, times 7."),
        ("code", solution),
        ("md", "```{solution-end}\n```"),
        ("code", "feedback.check_value(answer, expected, name='answer')"),
        ("md", "## What to remember"),
    )


def test_exercises_finds_solution_and_check_cells():
    (exercise,) = me.exercises(_chapter())
    assert (exercise.label, exercise.solution_cells, exercise.check_cells) == (
        "t-ex1", ["c5"], ["c7"])


def test_solution_becomes_a_stub_of_the_names_the_check_reads():
    edition = me.learner_edition(_chapter())
    sources = [c.source for c in edition.cells]
    stub = next(s for s in sources if "Exercise t-ex1: your answer" in s)
    assert "answer = ..." in stub
    assert "helper" not in stub and "np.eye" not in stub and "* 7" not in stub
    text = "\n".join(sources)
    assert "row 0, times 7" not in text  # the solution's explanation is gone
    assert "solution-start" not in text and "solution-end" not in text
    assert "x = 1" in text and "feedback.check_value" in text  # setup and check stay


def test_function_solutions_keep_their_signature_only():
    nb = _chapter("def answer(probs, grad_out, axis=-1):\n"
                  "    s = probs\n    return s * (grad_out - (grad_out * s).sum())\n")
    stub = me.learner_edition(nb).cells[5].source
    assert "def answer(probs, grad_out, axis=-1):\n    ..." in stub
    assert "grad_out * s" not in stub


def test_exercise_and_hint_become_plain_markdown():
    text = me.learner_markdown(EXERCISE + "\n\n" + HINT)
    assert text.startswith("**Exercise t-ex1.**")
    assert "<details>\n<summary>Hint</summary>\n\nUse a one-hot vector." in text
    assert "{exercise}" not in text and "{hint}" not in text and ":label:" not in text


def test_four_backtick_exercise_with_nested_code_is_kept_whole():
    text = me.learner_markdown("````{exercise}\n:label: a\nDo this:\n```python\nf(x)\n```\n"
                               "then that.\n````\nAfter.")
    assert text == "**Exercise a.**\n\nDo this:\n```python\nf(x)\n```\nthen that.\nAfter."


def test_exercise_text_and_solution_start_in_one_cell():
    nb = _notebook(("md", EXERCISE + "\n\n```{solution-start} t-ex1\n:class: dropdown\n"
                          "```\nThe secret."),
                   ("code", "answer = 42"),
                   ("md", "```{solution-end}\n```\nAnd then prose."),
                   ("code", "feedback.check_value(answer, 42, name='answer')"))
    edition = me.learner_edition(nb)
    text = "\n".join(c.source for c in edition.cells)
    assert "The secret" not in text and "answer = 42" not in text
    assert "Compute `answer`" in text and "And then prose." in text


def test_outputs_and_wrong_answer_metadata_are_cleared():
    nb = _chapter()
    nb.cells[5].metadata["smgrad"] = {"wrong": "answer = 0", "names_mistake": "zero"}
    nb.cells[7].outputs = [nbformat.v4.new_output("stream", text="right")]
    nb.cells[7].execution_count = 3
    edition = me.learner_edition(nb)
    assert all(not c.get("outputs") for c in edition.cells if c.cell_type == "code")
    assert "smgrad" not in edition.cells[5].metadata


def test_links_go_after_the_exercises_heading_and_are_idempotent():
    nb = _chapter()
    assert me.add_links(nb, "01_zero_gradient")
    assert nb.cells[1].id == me.LINK_CELL_ID
    assert "exercises%2F01_zero_gradient.ipynb" in nb.cells[1].source
    assert "/blob/main/exercises/01_zero_gradient.ipynb" in nb.cells[1].source
    assert not me.add_links(nb, "01_zero_gradient")
    assert sum(c.id == me.LINK_CELL_ID for c in nb.cells) == 1


def test_two_step_hints_are_summarised_by_their_first_words():
    text = me.learner_markdown("```{hint}\n:class: dropdown\n**A nudge.** Look at row 1.\n```"
                               "\n\n```{hint}\n:class: dropdown\nPlain.\n```")
    assert "<summary>A nudge</summary>\n\nLook at row 1." in text
    assert "<summary>Hint</summary>\n\nPlain." in text
