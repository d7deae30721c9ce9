"""The console script ``smgrad diagnose FILE:FUNC [--rule R] [--json] [--hide-fix]
[--timeout S]`` (run here as ``python -m smgrad diagnose``, which is the same ``main``):
exit 0 right, 1 wrong, 2 cannot run (saying why); the fix only when not hidden; JSON with
the verdict's fields; a time limit that stops code which never returns, even at import;
stdout holds only the verdict. The loading itself is tested in this process
(:func:`smgrad.cli.check`), so that only a few tests start processes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import smgrad
from smgrad import cli

ROOT = Path(__file__).resolve().parents[1]

SUBMISSION = textwrap.dedent('''
    import numpy as np

    print("importing the submission")      # a learner's print: must not reach stdout

    def right(probs, grad_out):
        return probs * (grad_out - (grad_out * probs).sum(axis=-1, keepdims=True))

    def diagonal(probs, grad_out):
        print("called")
        return probs * (1 - probs) * grad_out

    def fused_without_mean(logits, targets):
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True) - targets

    def never_returns(probs, grad_out):
        while True:
            pass

    def exits(probs, grad_out):
        raise SystemExit("bye")

    def dies(probs, grad_out):
        import os
        os._exit(7)

    NOT_A_FUNCTION = 3
''')


@pytest.fixture()
def submission(tmp_path):
    path = tmp_path / "submission.py"
    path.write_text(SUBMISSION)
    return path


def run_cli(*args: str, **env_vars: str) -> subprocess.CompletedProcess:
    """``python -W error -m smgrad diagnose ARGS`` in a fresh process, as a grader runs
    it (warnings are errors: stderr must hold only what the file prints)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), **env_vars)
    return subprocess.run([sys.executable, "-W", "error", "-m", "smgrad", "diagnose", *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)


# --- as autograders run it: a fresh process ---------------------------------------------

def test_right_exits_0_printing_only_the_verdict(submission):
    done = run_cli(f"{submission}:right")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("correct: matches softmax_vjp on all 3 probes (within "
                           "rtol=1e-05, atol=1e-08)\n")
    assert done.stderr == "importing the submission\n"     # only the file's own print


def test_wrong_exits_1_with_the_fix_unless_hidden(submission):
    shown = run_cli(f"{submission}:diagonal")
    hidden = run_cli(f"{submission}:diagonal", "--hide-fix")
    entry = smgrad.mistakes.find("diagonal_only", "softmax")
    verdict = smgrad.diagnose(smgrad.mistakes.diagonal_only)
    assert shown.returncode == hidden.returncode == 1, shown.stderr
    assert shown.stdout == f"{verdict.message}\nFix: {verdict.fix}\n"
    assert hidden.stdout == f"{verdict.message}\n"
    assert entry.fix not in hidden.stdout and "Fix" not in hidden.stdout
    assert hidden.stderr == "importing the submission\n" + "called\n" * 3


def test_a_console_that_cannot_show_the_symbols_gets_escapes(submission):
    """The messages write ⟨g, s⟩ and Σ: an ASCII console gets escapes, not a crash."""
    done = run_cli(f"{submission}:diagonal", PYTHONIOENCODING="ascii")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "\\u03a3" in done.stdout                # the fix's Σ, escaped


def test_json_holds_the_verdicts_fields(submission):
    target = f"{submission}:fused_without_mean"
    done = run_cli(target, "--rule", "cross_entropy", "--json")
    assert done.returncode == 1, done.stderr
    verdict = json.loads(done.stdout)
    assert verdict == {"target": target, "ok": False, "status": "wrong",
                       "rule": "cross_entropy", "mistake": "missing_1_over_n",
                       "factor": "N", "symptom": None, "where": verdict["where"],
                       "message": verdict["message"], "fix": verdict["fix"]}
    assert verdict["where"].startswith("probe 0 (batch 3 × classes 5), index (")
    assert "1/N" in verdict["message"] and "divide by N" in verdict["fix"]
    hidden = json.loads(run_cli(target, "--rule", "cross_entropy", "--json",
                                "--hide-fix").stdout)
    assert "fix" not in hidden and "divide by N" not in json.dumps(hidden)
    assert {k: v for k, v in verdict.items() if k != "fix"} == hidden


def test_a_missing_file_exits_2_saying_why(tmp_path):
    done = run_cli(f"{tmp_path / 'missing.py'}:right")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("cannot run: no file ")
    assert "Traceback" not in done.stderr


def test_the_time_limit_stops_code_that_never_returns(submission):
    """In the function, and at import: exit 2, the reason on stderr (or in the JSON)."""
    done = run_cli(f"{submission}:never_returns", "--timeout", "1")
    assert done.returncode == 2 and done.stdout == ""
    assert re.fullmatch(r"importing the submission\ncannot run: .*:never_returns took "
                        r"more than 1 s \(the limit set by --timeout\)\n", done.stderr)
    hangs = submission.parent / "hangs.py"
    hangs.write_text("while True:\n    pass\n")
    done = run_cli(f"{hangs}:f", "--timeout", "0.5", "--json")
    assert done.returncode == 2
    verdict = json.loads(done.stdout)
    assert (verdict["status"], verdict["symptom"]) == ("cannot run", "timed out")
    assert "took more than 0.5 s" in verdict["message"]


def test_a_check_that_stops_or_dies_cannot_run(submission):
    done = run_cli(f"{submission}:exits")
    assert done.returncode == 2
    assert done.stderr.endswith("cannot run: the check stopped: SystemExit: bye\n")
    done = run_cli(f"{submission}:dies")
    assert done.returncode == 2
    assert done.stderr.endswith("cannot run: the check ended without a verdict (exit "
                                "code 7)\n")


def test_usage_errors_exit_2(submission):
    for args in (["--rule", "relu"], ["--timeout", "0"], ["--timeout", "soon"]):
        done = run_cli(f"{submission}:right", *args)
        assert done.returncode == 2 and "usage: smgrad diagnose" in done.stderr, args
    done = subprocess.run([sys.executable, "-m", "smgrad"], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=300)
    assert done.returncode == 2 and "diagnose" in done.stderr


# --- the script is declared, and sits on top --------------------------------------------

def test_pyproject_declares_the_console_script():
    tomllib = pytest.importorskip("tomllib")        # Python 3.11+
    with open(ROOT / "pyproject.toml", "rb") as f:
        scripts = tomllib.load(f)["project"]["scripts"]
    module, _, name = scripts["smgrad"].partition(":")
    assert (module, name) == ("smgrad.cli", "main")
    assert callable(getattr(cli, name))


def test_nothing_in_smgrad_imports_the_cli():
    package = Path(smgrad.__file__).parent
    for path in package.glob("*.py"):
        if path.name in {"cli.py", "__main__.py"}:
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from \. import .*\bcli\b|from \.cli |import smgrad\.cli"
                             r"|from smgrad\.cli )", text, re.M), path.name


# --- loading, in this process -----------------------------------------------------------

@pytest.mark.parametrize("target, words", [
    ("{dir}/missing.py:right", "no file "),
    ("{path}:absent", "has no function 'absent' (functions it defines: diagonal, dies, "
                      "exits, fused_without_mean, never_returns, right)"),
    ("{path}:NOT_A_FUNCTION", "is an int, not a function"),
    ("{path}", "does not name a function: write path/to/file.py:function"),
    ("{path}:", "does not name a function"),
    ("{dir}/broken.py:f", "importing "),
    ("{dir}/fails.py:f", "ImportError: No module named"),
    ("{dir}/exits.py:f", "SystemExit: 3"),
    ("{dir}/data.txt:f", "cannot be imported as Python"),
])
def test_cannot_run_says_why(submission, capsys, target, words):
    folder = submission.parent
    (folder / "broken.py").write_text("def f(:\n")
    (folder / "fails.py").write_text("raise ImportError('No module named torchh')\n")
    (folder / "exits.py").write_text("import sys\nsys.exit(3)\n")
    (folder / "data.txt").write_text("1, 2, 3\n")
    verdict = cli.check(target.format(dir=folder, path=submission))
    assert (verdict.ok, verdict.status, verdict.symptom) == (False, "cannot run",
                                                             "cannot load")
    assert verdict.message.startswith("cannot run: ") and words in verdict.message
    assert verdict.mistake is None and verdict.fix == ""


def test_check_diagnoses_what_it_loads(submission, capsys):
    assert cli.check(f"{submission}:right").status == "right"
    verdict = cli.check(f"{submission}:fused_without_mean", rule="cross_entropy")
    assert (verdict.mistake, verdict.factor) == ("missing_1_over_n", "N")


def test_the_file_can_import_its_neighbours(tmp_path):
    (tmp_path / "helpers.py").write_text(
        "def vjp(s, g):\n    return s * (g - (g * s).sum(axis=-1, keepdims=True))\n")
    (tmp_path / "mine.py").write_text("from helpers import vjp\n")
    try:
        assert cli.check(f"{tmp_path / 'mine.py'}:vjp").ok
        assert str(tmp_path) not in sys.path
    finally:
        sys.modules.pop("helpers", None)
