"""Every line of numpy on the cheat sheet (book/cheatsheet.md) is run and checked
against smgrad (and, for the variants, against finite differences), so the page a reader
copies from cannot drift from the package. Its diagnose lines are run too, and its shell
commands are checked against the CLI's exit codes."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import smgrad

CHEATSHEET = Path(__file__).resolve().parents[1] / "book" / "cheatsheet.md"


T, EPS = 2.5, 0.1   # a temperature and a label-smoothing weight for the variants


def _run_cheatsheet(x: np.ndarray, g: np.ndarray, v: np.ndarray, t: np.ndarray,
                    mask: np.ndarray) -> dict:
    blocks = re.findall(r"```python\n(.*?)```", CHEATSHEET.read_text(), flags=re.S)
    assert len(blocks) >= 14, "the cheat sheet lost its code blocks"
    n, N = x.shape[-1], x.shape[0]
    namespace = {"np": np, "x": x, "g": g, "v": v, "t": t, "n": n, "N": N,
                 "T": T, "eps": EPS, "mask": mask}
    for block in blocks:
        exec(block, namespace)
    return namespace


def _mask(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """A random mask with at least one entry kept per row (and some rows masked)."""
    mask = rng.uniform(size=shape) < 0.6
    mask[np.arange(shape[0]), rng.integers(0, shape[1], size=shape[0])] = True
    return mask


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("soft_targets", [False, True])
def test_cheatsheet_lines_match_smgrad(seed: int, soft_targets: bool) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=3.0, size=(4, 6))
    g, v = rng.normal(size=(2, 4, 6))
    if soft_targets:  # rows need not sum to 1: the general gradient s·Σt - t
        t = rng.uniform(size=(4, 6))
    else:
        t = np.eye(6)[rng.integers(0, 6, size=4)]
    mask = _mask(rng, x.shape)
    ns = _run_cheatsheet(x, g, v, t, mask)
    probs = smgrad.softmax(x)
    np.testing.assert_allclose(ns["probs"], probs, rtol=1e-12)
    np.testing.assert_allclose(ns["logp"], smgrad.log_softmax(x), rtol=1e-12)
    np.testing.assert_allclose(ns["jacobian"], smgrad.softmax_jacobian(probs), atol=1e-15)
    np.testing.assert_allclose(ns["vjp"], smgrad.softmax_vjp(probs, g), atol=1e-14)
    np.testing.assert_allclose(ns["jvp"], smgrad.softmax_jvp(probs, v), atol=1e-14)
    np.testing.assert_allclose(ns["log_softmax_vjp"], smgrad.log_softmax_vjp(probs, g),
                               atol=1e-14)
    np.testing.assert_allclose(ns["loss"], smgrad.cross_entropy(x, t), rtol=1e-12)
    np.testing.assert_allclose(ns["ce_grad"], smgrad.cross_entropy_grad(x, t), atol=1e-15)
    # The two facts: J's columns and rows both sum to zero.
    np.testing.assert_allclose(ns["column_sums"], 0, atol=1e-15)
    np.testing.assert_allclose(ns["row_sums"], 0, atol=1e-15)
    # and the vjp line is a real vector-Jacobian product (g contracted with J), not g ⊙ diag(J)
    np.testing.assert_allclose(ns["vjp"], np.einsum("bi,bij->bj", g, ns["jacobian"]),
                               atol=1e-14)
    # The variants, each against smgrad and against finite differences of the forward.
    np.testing.assert_allclose(ns["probs_T"], smgrad.softmax(x / T), rtol=1e-12)
    np.testing.assert_allclose(ns["vjp_T"], smgrad.softmax_vjp(ns["probs_T"], g) / T,
                               atol=1e-14)
    np.testing.assert_allclose(
        ns["vjp_T"], smgrad.numerical_vjp(lambda z: smgrad.softmax(z / T), x, g),
        atol=1e-7)
    t_smooth = (1 - EPS) * t + EPS / x.shape[-1]
    np.testing.assert_allclose(ns["t_smooth"], t_smooth, rtol=1e-15)
    np.testing.assert_allclose(ns["smooth_grad"], smgrad.cross_entropy_grad(x, t_smooth),
                               atol=1e-15)
    np.testing.assert_allclose(
        ns["smooth_grad"],
        smgrad.numerical_vjp(lambda z: smgrad.cross_entropy(z, t_smooth), x, 1.0),
        atol=1e-7)
    masked = np.where(mask, x, -np.inf)
    np.testing.assert_allclose(ns["probs_m"], smgrad.softmax(masked), rtol=1e-12)
    assert np.all(ns["probs_m"][~mask] == 0)
    assert np.all(ns["vjp_m"][~mask] == 0)
    np.testing.assert_allclose(
        ns["vjp_m"],
        smgrad.numerical_vjp(lambda z: smgrad.softmax(np.where(mask, z, -np.inf)), x, g),
        atol=1e-7)


def test_cheatsheet_diagnose_lines_give_the_verdicts_it_promises() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 6))
    g, v = rng.normal(size=(2, 4, 6))
    ns = _run_cheatsheet(x, g, v, np.eye(6)[[0, 1, 2, 3]], _mask(rng, x.shape))
    for name in ("verdict", "verdict_log", "verdict_ce"):
        assert ns[name].ok, f"{name}: {ns[name]}"
    wrong = smgrad.diagnose(lambda p, gr: p * (1 - p) * gr)
    assert not wrong.ok and wrong.mistake  # and a wrong rule is named, not passed


def _console_commands() -> list[str]:
    blocks = re.findall(r"```console\n(.*?)```", CHEATSHEET.read_text(), flags=re.S)
    return [line[2:].strip() for block in blocks for line in block.splitlines()
            if line.startswith("$ ")]


def test_cheatsheet_shell_commands_exit_as_it_says(tmp_path: Path) -> None:
    commands = _console_commands()
    assert commands and all(c.startswith("smgrad diagnose ") for c in commands)
    (tmp_path / "right.py").write_text(
        "import numpy as np\n"
        "def function(probs, grad_out):\n"
        "    return probs * (grad_out - (grad_out * probs).sum(-1, keepdims=True))\n"
        "def ce_backward(logits, targets):\n"
        "    e = np.exp(logits - logits.max(-1, keepdims=True))\n"
        "    return (e / e.sum(-1, keepdims=True) - targets) / len(logits)\n")
    (tmp_path / "wrong.py").write_text(
        "def function(probs, grad_out):\n    return probs * (1 - probs) * grad_out\n"
        "def ce_backward(logits, targets):\n    return -targets / len(logits)\n")
    for command in commands:
        args = command.split()[2:]          # after "smgrad diagnose"
        target = args[0].split(":")[1]
        for module, code in (("right", 0), ("wrong", 1), ("missing", 2)):
            run = subprocess.run([sys.executable, "-m", "smgrad", "diagnose",
                                  f"{tmp_path / module}.py:{target}", *args[1:]],
                                 capture_output=True, text=True, timeout=120)
            assert run.returncode == code, (command, module, run.stdout, run.stderr)
            assert run.stdout.strip() or run.stderr.strip(), "it says why"
            if "--json" in args and code != 2:
                assert isinstance(json.loads(run.stdout), dict), run.stdout
