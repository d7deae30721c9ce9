"""Every line of numpy on the cheat sheet (book/cheatsheet.md) is run and checked
against smgrad, so the page a reader copies from cannot drift from the package."""

import re
from pathlib import Path

import numpy as np
import pytest

import smgrad

CHEATSHEET = Path(__file__).resolve().parents[1] / "book" / "cheatsheet.md"


def _run_cheatsheet(x: np.ndarray, g: np.ndarray, v: np.ndarray, t: np.ndarray) -> dict:
    blocks = re.findall(r"```python\n(.*?)```", CHEATSHEET.read_text(), flags=re.S)
    assert len(blocks) >= 10, "the cheat sheet lost its code blocks"
    n, N = x.shape[-1], x.shape[0]
    namespace = {"np": np, "x": x, "g": g, "v": v, "t": t, "n": n, "N": N}
    for block in blocks:
        exec(block, namespace)
    return namespace


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
    ns = _run_cheatsheet(x, g, v, t)
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
