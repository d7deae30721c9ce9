"""Chapter 1's attempts: a one-hot grad_out, the head gradient, J built per row, the JVP,
and the two exercises by hand."""

import numpy as np

import smgrad
from smgrad.exercises import get

from .attempts_base import add, right, torch, wrong

X3 = get("ch1-ex1").inputs["x3"]
P3 = smgrad.softmax(X3)
A = get("ch1-ex2").inputs["a_values"]
X5, V5 = get("ch1-ex4").inputs["x5"], get("ch1-ex4").inputs["v5"]
P5 = smgrad.softmax(X5)
S = get("ch1-ex5").inputs["s_given"]
G0 = get("ch1-ex6").inputs["g0"]

# --- ch1-ex1: the gradient of s_1 ----------------------------------------------------------
K = "ch1-ex1"
add(K, "softmax_vjp with e_1", "right", smgrad.softmax_vjp(P3, np.eye(3)[[1]]))
add(K, "row 1 of the Jacobian", "right", smgrad.softmax_jacobian(P3)[0, 1][None, :])
add(K, "by hand, s_1 (delta - s)", "right", P3[:, [1]] * (np.eye(3)[[1]] - P3))
add(K, "float32", "right", smgrad.softmax_vjp(P3.astype(np.float32),
                                              np.eye(3, dtype=np.float32)[[1]]))
add(K, "a list", "right", smgrad.softmax_vjp(P3, np.eye(3)[[1]]).tolist())
add(K, "one-hot at index 0", "wrong", smgrad.softmax_vjp(P3, np.eye(3)[[0]]), says="s_0")
add(K, "one-hot at index 2", "wrong", smgrad.softmax_vjp(P3, np.eye(3)[[2]]), says="s_2")
add(K, "grad_out of ones", "wrong", smgrad.softmax_vjp(P3, np.ones((1, 3))),
    says="zero everywhere")
add(K, "the logits given to softmax_vjp", "wrong", smgrad.softmax_vjp(X3, np.eye(3)[[1]]),
    says="given the logits")
add(K, "a (3,) vector", "wrong shape", smgrad.softmax_vjp(P3, np.eye(3)[[1]])[0],
    says="(1, 3)")
add(K, "the probability itself", "wrong", P3[:, [1]] * np.ones((1, 3)), says="entries are wrong")
add(K, "float16", "wrong type", smgrad.softmax_vjp(P3, np.eye(3)[[1]]).astype(np.float16),
    says="float32")
add(K, "not attempted", "not attempted", ...)
add(K, "None", "wrong", None, says="return")

# --- ch1-ex2: the head gradient ---------------------------------------------------------------
K = "ch1-ex2"
HEAD = np.zeros((1, 2, 1, 1))
HEAD[0, 1, 0, 0] = 1.0
add(K, "numpy, softmax_vjp along axis 1", "right",
    smgrad.softmax_vjp(smgrad.softmax(A, axis=1), HEAD, axis=1))
add(K, "by hand: s_1 (delta - s)", "right",
    smgrad.softmax(A, axis=1)[:, [1]] * (HEAD - smgrad.softmax(A, axis=1)))
add(K, "a nested list", "right",
    smgrad.softmax_vjp(smgrad.softmax(A, axis=1), HEAD, axis=1).tolist())
if torch is not None:
    def _torch_head(values, head_at, dim=1, dtype=torch.float64, head=None):
        a = torch.tensor(values, dtype=dtype, requires_grad=True)
        probs = torch.softmax(a, dim=dim)
        if head is None:
            head = torch.zeros_like(probs)
            head[head_at] = 1.0
        probs.backward(gradient=head)
        return a.grad

    add(K, "torch, a tensor", "right", _torch_head(A, (0, 1, 0, 0)))
    add(K, "torch float32, .numpy()", "right",
        _torch_head(A, (0, 1, 0, 0), dtype=torch.float32).numpy())
    add(K, "torch, head of ones", "wrong",
        _torch_head(A, None, head=torch.ones((1, 2, 1, 1), dtype=torch.float64)).numpy(),
        says="zero everywhere")
    # a right one-hot head, but the softmax runs along dim 2, of length 1
    add(K, "softmax along a length-1 axis", "wrong", _torch_head(A, (0, 1, 0, 0), dim=2),
        says="axis of length 1")
    add(K, "torch, one at output 0", "wrong", _torch_head(A, (0, 0, 0, 0)), says="s_0")
add(K, "sign flipped: with two classes, the gradient of s_0", "wrong",
    -smgrad.softmax_vjp(smgrad.softmax(A, axis=1), HEAD, axis=1), says="s_0")
add(K, "squeezed to (2,)", "wrong shape",
    smgrad.softmax_vjp(smgrad.softmax(A, axis=1), HEAD, axis=1).reshape(2),
    says="(1, 2, 1, 1)")
add(K, "a string", "wrong type", "[-0.11, 0.11]", says="a str")
add(K, "None (grad never computed)", "wrong", None, says="return")

# --- ch1-ex3: J per row, then g^T J -----------------------------------------------------------
K = "ch1-ex3"


@right(K, "einsum with ...")
def _einsum(probs, grad_out):
    n = probs.shape[-1]
    jac = probs[..., :, None] * (np.eye(n) - probs[..., None, :])
    return np.einsum("...i,...ij->...j", grad_out, jac)


@right(K, "matmul with a row vector")
def _matmul(probs, grad_out):
    jac = probs[..., :, None] * np.eye(probs.shape[-1]) - probs[..., :, None] * probs[..., None, :]
    return (grad_out[..., None, :] @ jac)[..., 0, :]


@right(K, "a loop over the flattened rows")
def _loop(probs, grad_out):
    rows, g = probs.reshape(-1, probs.shape[-1]), grad_out.reshape(-1, probs.shape[-1])
    out = np.empty_like(rows)
    for b in range(len(rows)):
        jac = np.diag(rows[b]) - np.outer(rows[b], rows[b])
        out[b] = g[b] @ jac
    return out.reshape(probs.shape)


@right(K, "float32")
def _float32(probs, grad_out):
    p, g = probs.astype(np.float32), grad_out.astype(np.float32)
    jac = p[..., :, None] * (np.eye(p.shape[-1], dtype=np.float32) - p[..., None, :])
    return np.einsum("...i,...ij->...j", g, jac)


@wrong(K, "einsum for 2-D only", "raised")
def _two_d_only(probs, grad_out):
    n = probs.shape[-1]
    jac = probs[:, :, None] * (np.eye(n) - probs[:, None, :])
    return np.einsum("bi,bij->bj", grad_out, jac)


@wrong(K, "the diagonal only", "diagonal")
def _diag(probs, grad_out):
    return probs * (1 - probs) * grad_out


@wrong(K, "summed Jacobian rows times g", "sum")
def _row_sums(probs, grad_out):
    n = probs.shape[-1]
    jac = probs[..., :, None] * (np.eye(n) - probs[..., None, :])
    return jac.sum(axis=-1) * grad_out


@wrong(K, "sign flipped", "sign")
def _sign(probs, grad_out):
    return -smgrad.softmax_vjp(probs, grad_out)


@wrong(K, "no return", "return")
def _no_return(probs, grad_out):
    n = probs.shape[-1]
    jac = probs[..., :, None] * (np.eye(n) - probs[..., None, :])
    np.einsum("...i,...ij->...j", grad_out, jac)


@wrong(K, "returns the Jacobian", "(3, 5)", verdict="wrong shape")
def _returns_jacobian(probs, grad_out):
    return probs[..., :, None] * (np.eye(probs.shape[-1]) - probs[..., None, :])


# --- ch1-ex4: the JVP -------------------------------------------------------------------------
K = "ch1-ex4"
add(K, "softmax_jvp", "right", smgrad.softmax_jvp(P5, V5))
add(K, "by hand, s (v - <v, s>)", "right", P5 * (V5 - (V5 * P5).sum(axis=-1, keepdims=True)))
add(K, "J v with the Jacobian", "right", (smgrad.softmax_jacobian(P5)[0] @ V5[0])[None])
add(K, "central difference, h = 1e-5", "right",
    (smgrad.softmax(X5 + 1e-5 * V5) - smgrad.softmax(X5 - 1e-5 * V5)) / 2e-5)
add(K, "float32", "right", smgrad.softmax_jvp(P5.astype(np.float32), V5.astype(np.float32)))
add(K, "the logits given", "wrong", smgrad.softmax_jvp(X5, V5), says="given the logits")
add(K, "diagonal only", "wrong", P5 * (1 - P5) * V5, says="diagonal")
add(K, "sign flipped", "wrong", -smgrad.softmax_jvp(P5, V5), says="sign")
add(K, "a forward difference, h = 0.1", "wrong", (smgrad.softmax(X5 + 0.1 * V5) - P5) / 0.1,
    says="entries are wrong")
add(K, "(4,) not (1, 4)", "wrong shape", smgrad.softmax_jvp(P5, V5)[0], says="(1, 4)")

# --- ch1-ex5: J by hand -----------------------------------------------------------------------
K = "ch1-ex5"
J = [[0.16, -0.06, -0.10], [-0.06, 0.21, -0.15], [-0.10, -0.15, 0.25]]
add(K, "typed as a list", "right", J)
add(K, "fractions", "right", [[4 / 25, -3 / 50, -1 / 10], [-3 / 50, 21 / 100, -3 / 20],
                              [-1 / 10, -3 / 20, 1 / 4]])
add(K, "diag(s) - s s^T", "right", np.diag(S) - np.outer(S, S))
add(K, "float32 array", "right", np.array(J, dtype=np.float32))
add(K, "the diagonal only", "wrong", [[0.16, 0, 0], [0, 0.21, 0], [0, 0, 0.25]],
    says="diagonal")
add(K, "-s s^T only", "wrong", (-np.outer(S, S)).tolist(), says="delta_ij")
add(K, "+ s s^T", "wrong", (np.diag(S) + np.outer(S, S)).tolist(), says="added")
add(K, "sign flipped", "wrong", (-np.array(J)).tolist(), says="sign")
add(K, "one entry off", "wrong", [[0.16, -0.06, -0.10], [-0.06, 0.21, -0.15],
                                  [-0.10, -0.15, 0.5]], says="index (2, 2)")
add(K, "a flat list of nine", "wrong shape", sum(J, []), says="(3, 3)")
add(K, "rounded to one decimal", "wrong", [[0.2, -0.1, -0.1], [-0.1, 0.2, -0.2],
                                           [-0.1, -0.2, 0.3]], says="entries are wrong")

# --- ch1-ex6: 1^T J = 0 -----------------------------------------------------------------------
K = "ch1-ex6"
V0 = smgrad.softmax_vjp(S, G0)
add(K, "typed", "right", [0.72, 0.48, -1.2])
add(K, "twice the printed numbers", "right", 2 * V0)
add(K, "computed anyway", "right", smgrad.softmax_vjp(S, 2 * G0 + 5))
add(K, "float32", "right", np.float32([0.72, 0.48, -1.2]))
add(K, "5 added to every entry", "wrong", 2 * V0 + 5, says="identity")
add(K, "5 s added", "wrong", 2 * V0 + 5 * S, says="5 s")
add(K, "the factor 2 lost", "wrong", V0, says="factor 2")
add(K, "all zero", "wrong", [0.0, 0.0, 0.0], says="zero everywhere")
add(K, "as a column", "wrong shape", (2 * V0)[:, None], says="(3,)")
add(K, "sign flipped", "wrong", -2 * V0, says="sign")
