"""Every public name is what it says: ``smgrad.<name>`` is the module ``smgrad/<name>.py``
(never a function of the same name hiding it), each module's ``__all__`` holds only what
it defines or imports, and ``import smgrad`` imports no framework."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import smgrad

PACKAGE = Path(smgrad.__file__).parent
PUBLIC_MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_"))


def test_the_package_has_its_modules():
    assert {"forward", "derivatives", "losses", "autograd", "check", "diagnosis",
            "mistakes", "cli", "printing", "frameworks", "plotting"} <= set(PUBLIC_MODULES)


def run_fresh(code: str) -> str:
    """Run ``code`` in a new interpreter (nothing imported yet by other tests) and return
    what it printed."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def test_public_name_is_the_module():
    """In a fresh interpreter, where no other import has bound the submodules yet."""
    code = ("import sys, types, smgrad\n"
            f"for name in {PUBLIC_MODULES!r}:\n"
            "    attribute = getattr(smgrad, name, None)\n"
            "    if not (isinstance(attribute, types.ModuleType)\n"
            "            and attribute is sys.modules.get('smgrad.' + name)):\n"
            "        print(name, type(attribute).__name__)")
    assert run_fresh(code) == ""


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_module_all_names_exist(name):
    module = importlib.import_module(f"smgrad.{name}")
    missing = [n for n in getattr(module, "__all__", ()) if not hasattr(module, n)]
    assert not missing, f"smgrad.{name}.__all__ names {missing}, which it lacks"


def test_package_all_names_exist_and_dir_lists_them():
    assert [n for n in smgrad.__all__ if not hasattr(smgrad, n)] == []
    assert set(PUBLIC_MODULES) <= set(dir(smgrad))


def test_import_module_then_use_its_functions():
    """The README's module table, read literally (issue 9: ``import smgrad.softmax as m;
    m.log_softmax`` used to fail)."""
    import smgrad.forward as forward

    assert forward.log_softmax is smgrad.log_softmax
    assert forward.softmax is smgrad.softmax


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_module"):
        smgrad.no_such_module  # noqa: B018


def test_import_smgrad_stays_light():
    """``import smgrad`` imports numpy only: no framework, no plotting, no notebook
    machinery, and none of the modules imported on first use."""
    lazy = [f"smgrad.{n}" for n in ("frameworks", "plotting", "mxnet_cells", "feedback",
                                    "cli")]
    heavy = ["torch", "mxnet", "matplotlib", "IPython", "scipy"]
    code = (f"import sys, smgrad; print(sorted(m for m in {heavy + lazy!r} "
            f"if m in sys.modules))")
    assert run_fresh(code) == "[]"


# The modules whose public functions show an example (run by ``--doctest-modules``).
WITH_EXAMPLES = ["forward", "derivatives", "losses", "autograd", "frameworks", "plotting",
                 "printing", "mistakes", "diagnosis"]


def public_callables(module):
    """``(qualified name, object)`` for each function and class in ``__all__``, and each
    public method a class defines."""
    for name in module.__all__:
        obj = getattr(module, name)
        if callable(obj):
            yield name, obj
        if isinstance(obj, type):
            for attr, member in vars(obj).items():
                if callable(member) and not attr.startswith("_"):
                    yield f"{name}.{attr}", member


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_every_public_function_has_an_example(name):
    module = importlib.import_module(f"smgrad.{name}")
    missing = [q for q, obj in public_callables(module) if ">>>" not in (obj.__doc__ or "")]
    assert not missing, f"smgrad.{name}: no example in the docstring of {missing}"


def test_the_package_docstring_has_an_example():
    assert ">>>" in smgrad.__doc__
