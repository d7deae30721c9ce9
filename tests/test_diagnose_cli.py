"""``python -m smgrad.diagnose path/to/file.py:function [--rule ...] [--json]``: exit 0
right, 1 wrong, 2 cannot run (saying why); JSON for autograders; stdout holds only the
verdict; stderr is clean (no runpy RuntimeWarning)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from smgrad.diagnose import main

ROOT = Path(__file__).resolve().parents[1]

SUBMISSION = textwrap.dedent('''
    import numpy as np

    print("importing the submission")      # a learner's print: must not reach stdout

    def right(probs, grad_out):
        return probs * (grad_out - (grad_out * probs).sum(axis=-1, keepdims=True))

    def diagonal(probs, grad_out):
        return probs * (1 - probs) * grad_out

    def unknown(probs, grad_out):
        return probs * grad_out

    def log_right(probs, grad_out):
        print("called")
        return grad_out - probs * grad_out.sum(axis=-1, keepdims=True)

    def fused(logits, targets):
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True) - targets) / len(logits)

    def fused_without_mean(logits, targets):
        return fused(logits, targets) * len(logits)

    def raises(probs, grad_out):
        raise ValueError("not yet")

    NOT_A_FUNCTION = 3
''')


@pytest.fixture()
def submission(tmp_path):
    path = tmp_path / "submission.py"
    path.write_text(SUBMISSION)
    return path


def run_cli(*args: str, warnings_as_errors: bool = False) -> subprocess.CompletedProcess:
    flags = ["-W", "error"] if warnings_as_errors else []
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, *flags, "-m", "smgrad.diagnose", *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)


# --- as autograders run it: a fresh process ---------------------------------------------

def test_right_exits_0_with_clean_stderr(submission):
    done = run_cli(f"{submission}:right")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("correct: matches softmax_vjp on all 3 probes (within "
                           "rtol=1e-05, atol=1e-08)\n")
    assert done.stderr == "importing the submission\n"     # only the file's own print


def test_no_runpy_warning_even_with_warnings_as_errors(submission):
    done = run_cli(f"{submission}:diagonal", warnings_as_errors=True)
    assert done.returncode == 1, done.stderr
    assert "RuntimeWarning" not in done.stderr and "Traceback" not in done.stderr
    assert done.stdout.startswith("wrong: this is the known mistake 'diagonal_only'")


def test_json_for_autograders(submission):
    done = run_cli(f"{submission}:fused_without_mean", "--rule", "cross_entropy", "--json")
    assert done.returncode == 1
    verdict = json.loads(done.stdout)
    assert verdict["ok"] is False and verdict["mistake"] == "missing_1_over_n"
    assert verdict["rule"] == "cross_entropy" and verdict["symptom"] is None
    assert verdict["target"] == f"{submission}:fused_without_mean"
    assert verdict["message"].endswith(verdict["fix"])
    assert "Fix" not in verdict["explanation"]


def test_cannot_run_exits_2_saying_why(tmp_path):
    done = run_cli(f"{tmp_path / 'missing.py'}:right")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("cannot run: no file ")
    assert "Traceback" not in done.stderr


# --- the same main(), in this process ---------------------------------------------------

@pytest.mark.parametrize("function, rule, status, start", [
    ("right", "softmax", 0, "correct: matches softmax_vjp"),
    ("diagonal", "softmax", 1, "wrong: this is the known mistake 'diagonal_only'"),
    ("unknown", "softmax", 1, "wrong in a way not on the list of known mistakes"),
    ("raises", "softmax", 1, "wrong in a way not on the list of known mistakes"),
    ("log_right", "log_softmax", 0, "correct: matches log_softmax_vjp"),
    ("right", "log_softmax", 1, "wrong: this is the known mistake 'softmax_rule'"),
    ("fused", "cross_entropy", 0, "correct: matches cross_entropy_grad"),
])
def test_exit_status_and_verdict(submission, capsys, function, rule, status, start):
    assert main([f"{submission}:{function}", "--rule", rule]) == status
    out, err = capsys.readouterr()
    assert out.startswith(start)
    assert "importing the submission" in err and "importing" not in out
    assert "called" not in out


@pytest.mark.parametrize("function", ["right", "unknown", "raises"])
def test_json_fields(submission, capsys, function):
    status = main([f"{submission}:{function}", "--json"])
    verdict = json.loads(capsys.readouterr().out)
    assert set(verdict) == {"target", "rule", "ok", "mistake", "symptom", "message",
                            "explanation", "fix"}
    assert status == (0 if verdict["ok"] else 1)
    assert verdict["mistake"] == {"right": None, "unknown": "unknown",
                                  "raises": "unknown"}[function]
    assert verdict["symptom"] == {"right": None, "unknown": "wrong values",
                                  "raises": "raised"}[function]


@pytest.mark.parametrize("target, words", [
    ("{dir}/missing.py:right", "no file "),
    ("{path}:absent", "has no function 'absent' (functions it defines: diagonal, "
                      "fused, fused_without_mean, log_right, raises, right, unknown)"),
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
    argv = [target.format(dir=folder, path=submission)]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and "cannot run: " in err and words in err, err
    assert main(argv + ["--json"]) == 2
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["ok"] is False and words in verdict["error"]


def test_an_unknown_rule_is_a_usage_error(submission, capsys):
    with pytest.raises(SystemExit) as stop:
        main([f"{submission}:right", "--rule", "relu"])
    assert stop.value.code == 2
    assert "invalid choice: 'relu'" in capsys.readouterr().err


def test_the_file_can_import_its_neighbours(tmp_path, capsys):
    (tmp_path / "helpers.py").write_text(
        "def vjp(s, g):\n    return s * (g - (g * s).sum(axis=-1, keepdims=True))\n")
    (tmp_path / "mine.py").write_text("from helpers import vjp\n")
    assert main([f"{tmp_path / 'mine.py'}:vjp"]) == 0
    assert str(tmp_path) not in sys.path
    sys.modules.pop("helpers", None)
