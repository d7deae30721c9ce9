"""Chapter 4's custom autograd Function (ch4-ex4): softmax as a ``torch.autograd.Function``
subclass, right in several styles and wrong as the threads were, plus the Functions
autograd cannot use. Left out where PyTorch is not installed."""

from .attempts_base import add, torch

K = "ch4-ex4"

if torch is not None:
    class _Saved(torch.autograd.Function):
        """Right: forward saves the probabilities, backward the VJP with keepdim."""

        @staticmethod
        def forward(ctx, x):
            probs = torch.softmax(x, dim=-1)
            ctx.save_for_backward(probs)
            return probs

        @staticmethod
        def backward(ctx, grad_out):
            (probs,) = ctx.saved_tensors
            return probs * (grad_out - (grad_out * probs).sum(dim=-1, keepdim=True))

    class _Blocks(_Saved):
        """Right: one Jacobian block per row, then gᵀJ with a batched matmul."""

        @staticmethod
        def backward(ctx, grad_out):
            (probs,) = ctx.saved_tensors
            blocks = torch.diag_embed(probs) - probs.unsqueeze(-1) * probs.unsqueeze(-2)
            return (grad_out.unsqueeze(-2) @ blocks).squeeze(-2)

    class _ByHand(torch.autograd.Function):
        """Right: a stable forward written out, and the inner product by einsum."""

        @staticmethod
        def forward(ctx, x):
            e = torch.exp(x - x.amax(dim=-1, keepdim=True))
            probs = e / e.sum(dim=-1, keepdim=True)
            ctx.save_for_backward(probs)
            return probs

        @staticmethod
        def backward(ctx, grad_out):
            (probs,) = ctx.saved_tensors
            inner = torch.einsum("...i,...i->...", grad_out, probs).unsqueeze(-1)
            return probs * (grad_out - inner)

    class _SetupContext(torch.autograd.Function):
        """Right: the newer style, forward without ctx and setup_context."""

        @staticmethod
        def forward(x):
            return torch.softmax(x, dim=-1)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, grad_out):
            (probs,) = ctx.saved_tensors
            return probs * (grad_out - (grad_out * probs).sum(dim=-1, keepdim=True))

    class _Diagonal(_Saved):
        @staticmethod
        def backward(ctx, grad_out):
            (probs,) = ctx.saved_tensors
            return probs * (1 - probs) * grad_out

    class _Flattened(_Saved):
        @staticmethod
        def backward(ctx, grad_out):
            (probs,) = ctx.saved_tensors
            flat = probs.flatten()
            jacobian = torch.diagflat(flat) - torch.outer(flat, flat)
            return jacobian.sum(dim=-1).reshape(probs.shape) * grad_out

    class _RowSums(_Saved):
        @staticmethod
        def backward(ctx, grad_out):
            (probs,) = ctx.saved_tensors
            blocks = torch.diag_embed(probs) - probs.unsqueeze(-1) * probs.unsqueeze(-2)
            return blocks.sum(dim=-1) * grad_out

    class _Dim0(_Saved):
        @staticmethod
        def backward(ctx, grad_out):
            (probs,) = ctx.saved_tensors
            return probs * (grad_out - (grad_out * probs).sum(dim=0, keepdim=True))

    class _Sigmoid(_Saved):
        @staticmethod
        def forward(ctx, x):
            probs = torch.sigmoid(x)
            ctx.save_for_backward(probs)
            return probs

    class _NoReturn(_Saved):
        @staticmethod
        def backward(ctx, grad_out):
            (probs,) = ctx.saved_tensors
            probs * (grad_out - (grad_out * probs).sum(dim=-1, keepdim=True))

    class _NumpyGradient(_Saved):
        @staticmethod
        def backward(ctx, grad_out):
            (probs,) = ctx.saved_tensors
            return (probs * (grad_out - (grad_out * probs).sum(-1, keepdim=True))).numpy()

    class _Stub(torch.autograd.Function):
        """The learner edition's stub."""

        @staticmethod
        def forward(ctx, x):
            ...

        @staticmethod
        def backward(ctx, grad_out):
            ...

    class _SignFlipped(_Saved):
        @staticmethod
        def backward(ctx, grad_out):
            return -_Saved.backward(ctx, grad_out)

    class _ExtraAxis(_Saved):
        @staticmethod
        def backward(ctx, grad_out):
            return _Saved.backward(ctx, grad_out)[None]

    class _Half(_Saved):
        @staticmethod
        def backward(ctx, grad_out):
            return _Saved.backward(ctx, grad_out).half()

    add(K, "the stub", "not attempted", _Stub)
    add(K, "sign flipped", "wrong", _SignFlipped, "sign")
    add(K, "an extra axis", "wrong shape", _ExtraAxis, "shape")
    add(K, "float16 gradient", "wrong type", _Half, "float32")
    add(K, "saved probabilities, keepdim", "right", _Saved)
    add(K, "Jacobian blocks and a batched matmul", "right", _Blocks)
    add(K, "forward by hand, einsum", "right", _ByHand)
    add(K, "setup_context style", "right", _SetupContext)
    add(K, "diagonal only (threads 001, 002)", "wrong", _Diagonal, "diagonal")
    add(K, "flattened batch (thread 003)", "wrong", _Flattened, "flattens the batch")
    add(K, "Jacobian rows summed", "wrong", _RowSums, "sum")
    add(K, "inner product down the batch", "wrong", _Dim0, "batch")
    add(K, "forward is a sigmoid", "wrong", _Sigmoid, "its forward is not softmax")
    add(K, "backward without return", "wrong", _NoReturn, "return")
    add(K, "backward returns numpy", "wrong", _NumpyGradient, "not a PyTorch tensor")
    add(K, "a plain function", "wrong", lambda probs, grad_out: grad_out,
        "not a subclass of torch.autograd.Function")
