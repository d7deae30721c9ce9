"""Doctests that need an optional package run wherever that package is installed.

An example flagged ``# doctest: +NEEDS_TORCH``, ``+NEEDS_MXNET`` or ``+NEEDS_MATPLOTLIB``
makes its whole docstring's test need that package: where it is not installed the test
is skipped, saying so (never failed), and one that needs MXNet carries the ``mxnet`` mark,
so ``-m "not mxnet"`` deselects it with the other MXNet tests. In the book's pinned
environment (``.venv``: PyTorch and MXNet) every one of them runs.

This file is at the repository's root so that it reaches the doctests of ``smgrad/``
(``pytest --doctest-modules smgrad``), not only ``tests/``.
"""

from __future__ import annotations

import doctest
import importlib.util

import pytest

# option flag -> (module, its name in messages, the mark of the tests that need it)
OPTIONAL = {
    doctest.register_optionflag("NEEDS_TORCH"): ("torch", "PyTorch", None),
    doctest.register_optionflag("NEEDS_MXNET"): ("mxnet", "MXNet", pytest.mark.mxnet),
    doctest.register_optionflag("NEEDS_MATPLOTLIB"): ("matplotlib", "matplotlib", None),
}


def packages_needed(item: pytest.Item) -> list[tuple[str, str, object]]:
    """What the doctest ``item`` needs, from its examples' ``NEEDS_*`` flags."""
    test = getattr(item, "dtest", None)  # a doctest item's doctest.DocTest
    if test is None:
        return []
    flags = {flag for example in test.examples
             for flag, on in example.options.items() if on and flag in OPTIONAL}
    return [OPTIONAL[flag] for flag in sorted(flags)]


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by mark
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for module, name, mark in packages_needed(item):
            if mark is not None:
                item.add_marker(mark)
            if importlib.util.find_spec(module) is None:
                item.add_marker(pytest.mark.skip(reason=f"this example needs {name}, "
                                                        f"which is not installed here"))
