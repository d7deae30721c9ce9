"""tools/ is a package imported normally (``python -m tools.NAME``), and tools.sources,
its one reader of the book's sources, reads them as the tools need."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

pytest.importorskip("yaml")
from tools import sources  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TOOLS = sorted(p.stem for p in (ROOT / "tools").glob("*.py") if p.stem != "__init__")
# What each tool imports beyond the test extras (pyproject's `test`).
NEEDS = {"execute_notebooks": "nbclient", "run_without_mxnet": "nbclient"}


@pytest.mark.parametrize("name", TOOLS)
def test_each_tool_imports_as_part_of_the_package(name):
    if name in NEEDS:
        pytest.importorskip(NEEDS[name])
    module = importlib.import_module(f"tools.{name}")
    assert Path(module.__file__).parent == ROOT / "tools"


def _edits_sys_path(path: Path) -> list[int]:
    """Lines of ``path`` that change ``sys.path`` (a call on it, or an assignment)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            target = target.value if isinstance(target, ast.Subscript) else target
        else:
            continue
        if ast.unparse(target) == "sys.path":
            lines.append(node.lineno)
    return sorted(lines)


def test_no_tool_or_test_edits_sys_path():
    """Tests import the tools as ``tools.NAME`` (pyproject's ``pythonpath``), and the
    tools import each other the same way."""
    edits = {str(p.relative_to(ROOT)): lines
             for folder in ("tools", "tests") for p in sorted((ROOT / folder).rglob("*.py"))
             if "node_modules" not in p.parts and (lines := _edits_sys_path(p))}
    assert edits == {}


def test_the_check_itself_sees_an_edit(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import sys\nsys.path.insert(0, 'x')\nsys.path[:0] = ['y']\n"
                     "print(sys.path)\n")
    assert _edits_sys_path(probe) == [2, 3]


def test_the_books_toc_pages_exist_each_once():
    pages = sources.toc_pages()
    assert len(pages) == len(set(pages)) > 1
    missing = [p for p in pages if not any((ROOT / f"{p}{suffix}").is_file()
                                           for suffix in (".md", ".ipynb"))]
    assert missing == []


def test_toc_pages_read_parts_chapters_and_sections(tmp_path):
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n"
        "  - chapters:\n      - file: book/a.ipynb\n        sections:\n"
        "          - file: book/a1\n      - file: book/b.md\n", encoding="utf-8")
    assert sources.toc_pages(tmp_path) == ["intro", "book/a", "book/a1", "book/b"]


def test_repository_and_launch_urls_come_from_the_config(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text("repository:\n  url: https://github.com/someone/a-book/\n"
                      "  branch: pages\n", encoding="utf-8")
    assert sources.repository(config) == ("https://github.com/someone/a-book", "pages")
    assert sources.launch_urls("exercises/01 x.ipynb", config) == {
        "Binder": "https://mybinder.org/v2/gh/someone/a-book/pages"
                  "?labpath=exercises%2F01%20x.ipynb",
        "Colab": "https://colab.research.google.com/github/someone/a-book/blob/pages/"
                 "exercises/01 x.ipynb",
    }


def test_without_magics_blanks_ipython_lines_and_keeps_line_numbers():
    source = "%load_ext smgrad.mxnet_cells\nx = 1\n  !ls\ny = x  # 100%"
    assert sources.without_magics(source) == "\nx = 1\n\ny = x  # 100%"


@pytest.fixture
def files(tmp_path):
    """Three files, ``b`` stale; ``refresh`` on them with ``check`` on or off."""
    paths = [tmp_path / name for name in "abc"]
    for path in paths:
        path.write_text("old" if path.name == "b" else "new")

    def update(path: Path) -> str:
        path.write_text("new")
        return f"updated {path.name}"

    def refresh(check: bool) -> int:
        return sources.refresh(paths, check=check, update=update,
                               is_stale=lambda p: p.read_text() != "new",
                               stale_message=lambda p: f"{p.name} is stale: run the tool")
    return paths, refresh


def test_refresh_check_names_the_stale_files_and_changes_nothing(files, capsys):
    paths, refresh = files
    assert refresh(check=True) == 1
    assert capsys.readouterr().err == "b is stale: run the tool\n"
    assert paths[1].read_text() == "old"


def test_refresh_updates_the_stale_files_only(files, capsys):
    paths, refresh = files
    assert refresh(check=False) == 0
    assert capsys.readouterr().out == "updated b\n"
    assert [p.read_text() for p in paths] == ["new"] * 3
    assert refresh(check=True) == 0


def test_refresh_stops_with_2_on_a_file_it_cannot_make(tmp_path, capsys):
    def cannot(path):
        raise ValueError("the notebook imports xyz")

    assert sources.refresh([tmp_path / "n.ipynb"], is_stale=cannot, update=str,
                           stale_message=str) == 2
    assert capsys.readouterr().err == f"{tmp_path / 'n.ipynb'}: the notebook imports xyz\n"
