"""The README's layout section names every top-level folder of the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Made by make, pip, pytest or a build, not part of the repository (see .gitignore).
GENERATED = {".git", ".venv", ".venv-np2", ".katex", ".hypothesis", ".pytest_cache",
             "_build", "__pycache__", "node_modules", ".ipynb_checkpoints",
             "build"}


def layout_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Layout\n(.*?)^## ", readme, re.S | re.M)
    assert match, "README.md has a '## Layout' section"
    return match.group(1)


def test_layout_names_every_top_level_folder():
    folders = sorted(p.name for p in ROOT.iterdir() if p.is_dir()
                     and p.name not in GENERATED and not p.name.endswith(".egg-info"))
    layout = layout_section()
    missing = [name for name in folders
               if not re.search(rf"(^|[\s,]){re.escape(name)}/", layout, re.M)]
    assert missing == [], f"README.md's layout section does not name {missing}"


def test_layout_names_the_folders_a_clone_will_have():
    layout = layout_section()
    for name in ("book", "smgrad", "tests", "tools", "exercises", "binder", "benchmarks"):
        assert re.search(rf"^{name}/", layout, re.M), name
