"""What a reader who launches the book elsewhere gets: Binder's environment pins what
requirements.txt pins, and each chapter's first code cell installs smgrad on Colab."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
from browser_support import source_file, toc_pages


def _pins(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def _colab_module(book_src: Path):
    spec = importlib.util.spec_from_file_location("binder_colab", book_src / "binder" / "colab.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_binder_pins_the_same_versions_with_cpu_torch(book_src: Path):
    root = _pins(book_src / "requirements.txt")
    binder = _pins(book_src / "binder" / "requirements.txt")
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in binder
    torch = [pin for pin in root if re.match(r"torch==", pin)]
    assert len(torch) == 1, "requirements.txt pins torch exactly once"
    expected = [f"{pin}+cpu" if pin in torch else pin for pin in root]
    assert [pin for pin in binder if not pin.startswith("--")] == expected
    assert "-e ." in binder, "Binder installs smgrad from the repository"


def test_binder_runs_python_311(book_src: Path):
    assert (book_src / "binder" / "runtime.txt").read_text().strip() == "python-3.11"


def test_every_chapter_starts_with_the_colab_cell(book_src: Path):
    """``python binder/colab.py book/NAME.ipynb`` adds the cell (then re-execute)."""
    colab = _colab_module(book_src)
    source = colab.cell_source(book_src / "_config.yml")
    url, branch = colab.repository(book_src / "_config.yml")
    assert f"git+{url}@{branch}" in source
    stale = []
    for page in toc_pages(book_src):
        path = source_file(book_src, page)
        if path.suffix == ".ipynb" and not colab.is_current(nbformat.read(path, 4), source):
            stale.append(str(path.relative_to(book_src)))
    assert stale == [], "run: .venv/bin/python binder/colab.py " + " ".join(stale)
