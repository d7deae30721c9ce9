"""Every number a chapter glues is quoted in the book's prose.

A glued number that no page quotes was computed for nothing, or its prose stopped quoting
it (and may now type the number instead). Only keys named one by one are held to it
(``glue("stab_floor", ...)``): a loop that glues every cell of a table
(``glue(f"ch2b_acc_{key}", ...)``) lets the prose quote the cells it needs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"
CHAPTERS = sorted(BOOK.glob("*.ipynb"))


def glued_keys(notebook: dict) -> set[str]:
    """The keys the notebook's code cells glue by name (a plain string, no f-string)."""
    return {key for cell in notebook["cells"] if cell["cell_type"] == "code"
            for key in re.findall(r'\bglue\(\s*"([^"{}]+)"', "".join(cell["source"]))}


def prose() -> str:
    """The markdown of every chapter and page of the book."""
    texts = [page.read_text() for page in BOOK.glob("*.md")]
    for chapter in CHAPTERS:
        cells = json.loads(chapter.read_text())["cells"]
        texts += ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    return "\n".join(texts)


def test_the_book_glues_numbers():
    assert sum(len(glued_keys(json.loads(c.read_text()))) for c in CHAPTERS) > 100


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_glued_number_is_quoted(chapter):
    quoted = set(re.findall(r"\{glue:text\}`([^`]+)`", prose()))
    assert sorted(glued_keys(json.loads(chapter.read_text())) - quoted) == []
