"""What a reader who launches the book elsewhere gets: Binder installs the book's pinned
environment (the root requirements.txt), each chapter's first code cell installs what
Colab lacks, and each chapter with exercises links to its learner edition on Binder and
Colab, a notebook that exists in the repository."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import nbformat
import pytest
from browser_support import notebook_json, source_file, toc_pages

from tools import colab
from tools.sources import launch_urls, repository


def _requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def test_binder_installs_the_pinned_environment_with_cpu_torch(book_src: Path):
    """binder/ (which repo2docker prefers to the root files) adds only the CPU index to
    the root requirements.txt, so the two cannot drift apart."""
    binder = _requirement_lines(book_src / "binder" / "requirements.txt")
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in binder
    assert "-r ../requirements.txt" in binder
    assert [line for line in binder if not line.startswith(("--", "-r "))] == []
    assert "-e ." in _requirement_lines(book_src / "requirements.txt"), \
        "Binder installs smgrad from the repository"


def test_binder_runs_python_311(book_src: Path):
    assert (book_src / "binder" / "runtime.txt").read_text().strip() == "python-3.11"


def test_every_chapter_starts_with_the_colab_cell(book_src: Path):
    """``python -m tools.colab book/NAME.ipynb`` adds the cell (then re-execute)."""
    config = book_src / "_config.yml"
    url, branch = colab.repository(config)
    assert f"git+{url}@{branch}" in colab.cell_source(config)
    stale = []
    for page in toc_pages(book_src):
        path = source_file(book_src, page)
        if path.suffix == ".ipynb" and not colab.is_current(nbformat.read(path, 4),
                                                            config=config):
            stale.append(str(path.relative_to(book_src)))
    assert stale == [], "run: .venv/bin/python -m tools.colab " + " ".join(stale)


# --- The learner edition, one click from each chapter ------------------------------------

def _has_exercises(book_src: Path, page: str) -> bool:
    return any(c["cell_type"] == "markdown"
               and re.search(r"^(`{3,}|:{3,})\{exercise\}", "".join(c["source"]), re.M)
               for c in notebook_json(book_src, page)["cells"])


def _learner_urls(book_src: Path, chapter: str) -> dict[str, str]:
    """The Binder and Colab addresses of ``exercises/<chapter>.ipynb``, made from
    ``_config.yml``'s repository (the one place that names it) by the tools' formula."""
    return launch_urls(f"exercises/{chapter}.ipynb", book_src / "_config.yml")


def _repository_file(link: str, config: Path) -> str:
    """The file of the repository that a Binder or Colab link opens (its path from the
    repository's root), read from the link itself."""
    repo, branch = repository(config)
    owner_name = repo.removeprefix("https://github.com/")
    parts = urlsplit(link)
    if parts.netloc == "mybinder.org":
        assert parts.path == f"/v2/gh/{owner_name}/{branch}", f"{link}: another repository"
        return unquote(parse_qs(parts.query)["labpath"][0])
    assert parts.netloc == "colab.research.google.com", link
    prefix = f"/github/{owner_name}/blob/{branch}/"
    assert parts.path.startswith(prefix), f"{link}: another repository or branch"
    return unquote(parts.path.removeprefix(prefix))


def test_chapter_links_to_its_learner_edition(visits, notebook_page, book_src):
    """A chapter with exercises links to ``exercises/<chapter>.ipynb`` on Binder and on
    Colab, and each link, followed to the repository, opens a learner edition that is in
    the working tree (a notebook with the same exercises, no solution)."""
    if not _has_exercises(book_src, notebook_page):
        pytest.skip(f"{notebook_page} has no exercises")
    chapter = Path(notebook_page).name
    page = visits(notebook_page).page
    links = page.evaluate("""() => [...document.querySelectorAll('main a[href]')]
      .filter(a => a.checkVisibility()).map(a => a.href)""")
    expected = _learner_urls(book_src, chapter)
    missing = {name: url for name, url in expected.items() if url not in links}
    assert missing == {}, "no visible link to the learner edition on " + ", ".join(missing)
    for name, url in expected.items():
        path = _repository_file(url, book_src / "_config.yml")
        assert path == f"exercises/{chapter}.ipynb"
        target = book_src / path
        assert target.is_file(), f"the {name} link opens {path}, which is not in the repository"
        edition = json.loads(target.read_text(encoding="utf-8"))
        assert edition["nbformat"] == 4
        text = "\n".join("".join(c["source"]) for c in edition["cells"]
                          if c["cell_type"] == "markdown")
        labels = {m for c in notebook_json(book_src, notebook_page)["cells"]
                  if c["cell_type"] == "markdown" and "{exercise}" in "".join(c["source"])
                  for m in re.findall(r"^:label:\s*(\S+)", "".join(c["source"]), re.M)}
        assert labels and not [label for label in labels if label not in text], \
            f"{path} lacks exercises of the chapter"
        assert not any(c["cell_type"] == "markdown" and "{solution-start}" in "".join(c["source"])
                       for c in edition["cells"]), f"{path} contains a solution"
