"""The first code cell of every chapter, for readers who open it on Google Colab.

On Colab the cell installs what Colab lacks: ``smgrad`` from the book's repository and
``myst-nb`` (the chapters ``glue`` numbers into their text). Anywhere else (Binder, a
clone with ``make``) it does nothing and prints nothing, so nbval sees no output. It is
tagged ``remove-cell``: the HTML book does not show it. (MXNet 1.9.1 needs numpy < 1.24,
which Colab's Python cannot have: there, the MXNet comparisons say how to install it.)

The repository's URL and branch come from ``_config.yml``, the one place that names them.

    python binder/colab.py book/NAME.ipynb ...          put the cell first (or update it)
    python binder/colab.py --check book/NAME.ipynb ...  exit 1 where it is missing or stale

Re-execute a notebook after adding the cell (``make notebooks``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
CELL_ID = "colab-install"
TAGS = ["remove-cell"]


def repository(config: Path = ROOT / "_config.yml") -> tuple[str, str]:
    """``(url, branch)`` of the book's repository, from ``_config.yml``."""
    repo = yaml.safe_load(config.read_text(encoding="utf-8"))["repository"]
    return repo["url"].rstrip("/"), repo["branch"]


def cell_source(config: Path = ROOT / "_config.yml") -> str:
    """The source of the Colab cell for the repository named in ``config``."""
    url, branch = repository(config)
    return (
        "# On Google Colab only: install smgrad (from the book's repository) and myst-nb.\n"
        "# Anywhere else (Binder, your own clone) this cell does nothing.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        "    import subprocess\n"
        "\n"
        '    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "myst-nb",\n'
        f'                    "smgrad @ git+{url}@{branch}"],\n'
        "                   check=True)"
    )


def first_code_cell(nb: nbformat.NotebookNode) -> int | None:
    return next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), None)


def is_current(nb: nbformat.NotebookNode, source: str) -> bool:
    """Whether the notebook's first code cell is the Colab cell, up to date, without output.
    A notebook with no code cell needs none."""
    index = first_code_cell(nb)
    if index is None:
        return True
    cell = nb.cells[index]
    return (cell.source == source and not cell.get("outputs")
            and set(TAGS) <= set(cell.metadata.get("tags", [])))


def add_cell(path: Path, source: str) -> bool:
    """Put the Colab cell before the first code cell of ``path`` (or update it there).
    Returns whether the file changed."""
    nb = nbformat.read(path, as_version=4)
    if is_current(nb, source):
        return False
    index = first_code_cell(nb)
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": list(TAGS)})
    if (nb.nbformat, nb.nbformat_minor) >= (4, 5):
        cell.id = CELL_ID
    else:  # cell ids came with nbformat 4.5
        cell.pop("id", None)
    if nb.cells[index].get("id") == CELL_ID:
        nb.cells[index] = cell
    else:
        nb.cells.insert(index, cell)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a notebook lacks the current cell")
    args = parser.parse_args(argv)
    source = cell_source()
    stale = []
    for path in args.notebooks:
        if args.check:
            if not is_current(nbformat.read(path, as_version=4), source):
                stale.append(path)
        elif add_cell(path, source):
            print(f"{path}: Colab cell added or updated")
    for path in stale:
        print(f"{path}: its first code cell is not the current Colab cell "
              f"(run: python binder/colab.py {path})", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
