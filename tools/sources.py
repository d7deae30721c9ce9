"""What the tools read from the book's sources, each read in one place.

* :func:`read_config` and :func:`repository`: ``_config.yml``, the one file that names the
  book's repository and branch;
* :func:`toc_pages`: ``_toc.yml``, the pages in reading order;
* :func:`without_magics`: a code cell as Python (IPython's ``%`` and ``!`` lines blanked);
* :func:`launch_urls`: where Binder and Colab open a notebook of the repository;
* :func:`refresh`: bring generated files up to date, or (``check``) name the stale ones.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import quote

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "_config.yml"


def read_config(config: Path = CONFIG) -> dict:
    """``_config.yml`` (or the file ``config``) as a dict."""
    return yaml.safe_load(Path(config).read_text(encoding="utf-8"))


def repository(config: Path = CONFIG) -> tuple[str, str]:
    """``(url, branch)`` of the book's repository, from ``_config.yml``."""
    repo = read_config(config)["repository"]
    return repo["url"].rstrip("/"), repo["branch"]


def toc_pages(src: Path = ROOT) -> list[str]:
    """The documents of ``src/_toc.yml``, root first, in reading order, without extension."""
    toc = yaml.safe_load((Path(src) / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    walk(toc.get("sections", []))
    return [p.rsplit(".", 1)[0] if p.endswith((".md", ".ipynb")) else p for p in pages]


def without_magics(source: str) -> str:
    """A code cell's source with each IPython line (``%magic``, ``!shell``) blanked, so
    that ``ast`` can read the rest; line numbers are kept."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.split("\n"))


def launch_urls(path: str, config: Path = CONFIG) -> dict[str, str]:
    """The Binder and Colab addresses that open ``path`` (from the repository's root) of
    the book's repository, on its branch (tests/test_tools.py shows them)."""
    url, branch = repository(config)
    owner_repo = url.split("github.com/", 1)[1]
    return {
        "Binder": f"https://mybinder.org/v2/gh/{owner_repo}/{branch}?labpath={quote(path, safe='')}",
        "Colab": f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{path}",
    }


def refresh(targets: Iterable[Path], is_stale: Callable[[Path], bool],
            update: Callable[[Path], str], stale_message: Callable[[Path], str],
            check: bool = False) -> int:
    """Bring each stale target up to date, or with ``check`` change nothing and name them.

    Args:
        targets: the files to look at, in order.
        is_stale: whether a target differs from what the tool makes.
        update: makes a stale target current; returns the line to print about it.
        stale_message: with ``check``, what to print on stderr about a stale target
            (what it is, and the command that updates it).

    Returns:
        The exit status: 1 when ``check`` found a stale target; 2 when a target cannot
        be made (its ``ValueError`` is printed, naming the target); else 0.
    """
    stale = []
    for target in targets:
        try:
            if not is_stale(target):
                continue
            if check:
                stale.append(target)
            else:
                print(update(target))
        except ValueError as exc:
            print(f"{target}: {exc}", file=sys.stderr)
            return 2
    for target in stale:
        print(stale_message(target), file=sys.stderr)
    return 1 if stale else 0
