"""Derivatives of an MLP with respect to its inputs, by Taylor mode (forward propagation of jets).

For a direction e_i (input column i), the value a, the first derivative a' = ∂a/∂x_i and the pure second
derivative a'' = ∂²a/∂x_i² of every layer follow from the previous layer's in one pass:

    affine  a = W h + b:   a' = W h',   a'' = W h''
    σ:      s = σ(a):      s' = σ'(a) a',   s'' = σ''(a) a'² + σ'(a) a''

The value and all directions are stacked into one (K, N, features) tensor, K = 1 + #first + #second,
so each weight matrix is one matrix product of K·N rows: about K forward passes in all, no nested
reverse-mode graphs. The activation step is one autograd Function with a hand-written backward
(derived from the lines above; checked by gradcheck in the tests), which keeps the number of
N × features temporaries small — the elementwise work, not the matrix products, dominates a naive version.
The loss is then differentiated w.r.t. the weights by ordinary backpropagation through this pass.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from nnphys.models.mlp import MLP


def _tanh(a, third: bool):
    s = torch.tanh(a)
    d1 = 1 - s * s
    d2 = -2 * s * d1
    return s, d1, d2, (-2 * d1 * (1 - 3 * s * s) if third else None)


def _sin(a, third: bool):
    s, c = torch.sin(a), torch.cos(a)
    return s, c, -s, (-c if third else None)


# activation -> value and first three derivatives (the third only when asked), sharing work
DERIVATIVES = {"tanh": _tanh, "sin": _sin}


class _ActivationJet(torch.autograd.Function):
    """Stacked pre-activations H = [a - b, a'_1..a'_D, a''_1..a''_S] (bias b added to the value slot)
    -> [s, s'_1..s'_D, s''_1..s''_S]; ``sel[k]`` is the first-derivative slot of second direction k."""

    @staticmethod
    def forward(ctx, h, bias, n_first, sel, activation):
        a = h[0] + bias
        da, d2a = h[1:1 + n_first], h[1 + n_first:]
        s, s1, s2, _ = DERIVATIVES[activation](a, False)
        out = torch.empty_like(h)
        out[0] = s
        torch.mul(da, s1, out=out[1:1 + n_first])
        if sel:
            p = da[sel]
            torch.mul(p * p, s2, out=out[1 + n_first:])
            out[1 + n_first:].addcmul_(d2a, s1)
        ctx.save_for_backward(h, bias)
        ctx.n_first, ctx.sel, ctx.activation = n_first, sel, activation
        return out

    @staticmethod
    def backward(ctx, g):
        h, bias = ctx.saved_tensors
        n_first, sel = ctx.n_first, ctx.sel
        a = h[0] + bias
        da, d2a = h[1:1 + n_first], h[1 + n_first:]
        _, s1, s2, s3 = DERIVATIVES[ctx.activation](a, bool(sel))
        gs, gda, gd2a = g[0], g[1:1 + n_first], g[1 + n_first:]
        gh = torch.empty_like(h)
        # ∂/∂a:  gs σ' + Σ_j g'_j a'_j σ'' + Σ_k g''_k (σ''' p_k² + σ'' a''_k)
        # accumulated slot by slot in place: .sum(0) over the few slots would zero-fill N × features buffers
        ga = gs * s1
        acc = None
        if n_first:
            acc = gda[0] * da[0]
            for j in range(1, n_first):
                acc.addcmul_(gda[j], da[j])
            torch.mul(gda, s1, out=gh[1:1 + n_first])
        if sel:
            p = da[sel]
            acc3 = gd2a[0] * p[0] * p[0]
            acc.addcmul_(gd2a[0], d2a[0])
            for k in range(1, len(sel)):
                acc3.addcmul_(gd2a[k] * p[k], p[k])
                acc.addcmul_(gd2a[k], d2a[k])
            ga.addcmul_(acc3, s3)
            torch.mul(gd2a, s1, out=gh[1 + n_first:])
            # ∂/∂a'_j gets 2 g''_k σ'' p_k from each second direction k built on slot j
            gh[1:1 + n_first].index_add_(0, torch.tensor(sel, device=h.device), 2 * gd2a * p * s2)
        if acc is not None:
            ga.addcmul_(acc, s2)
        gh[0] = ga
        return gh, ga.sum(0), None, None, None


def jet(model: MLP, x: torch.Tensor, first: Sequence[int] = (), second: Sequence[int] = (),
        tape: list | None = None):
    """Value and derivatives of ``model`` at ``x`` (N, d_in).

    Returns ``(u, du, d2u)``: u (N, d_out); du {i: ∂u/∂x_i} for i in ``first`` ∪ ``second``;
    d2u {i: ∂²u/∂x_i²} for i in ``second``, each (N, d_out).
    ``tape``, if given, receives (layer, stacked input (K, N, in), pre-activation before bias (K, N, out))
    per layer: what per-point Jacobians w.r.t. the weights are made of (see levenberg_marquardt).
    """
    dirs = sorted(set(first) | set(second))
    second = sorted(set(second))
    n_first = len(dirs)
    sel = [dirs.index(i) for i in second]
    slots = [model.embed(x)]
    jets = {i: model.embed_jet(x, i) for i in dirs}
    slots += [jets[i][0] for i in dirs] + [jets[i][1] for i in second]
    h = torch.stack(slots)  # (K, N, features)
    for layer in model.layers:
        pre = torch.matmul(h, layer.weight.T)
        if tape is not None:
            tape.append((layer, h, pre))
        if layer is model.layers[-1]:
            break
        h = _ActivationJet.apply(pre, layer.bias, n_first, sel, model.activation)
    last, h = model.layers[-1], pre
    u = h[0] + last.bias
    du = {i: h[1 + j] for j, i in enumerate(dirs)}
    d2u = {i: h[1 + n_first + j] for j, i in enumerate(second)}
    return u, du, d2u


def named(outputs: Sequence[str], inputs: Sequence[str], u, du, d2u) -> tuple[dict, dict]:
    """Name a jet the way physics residuals read it: fields {"u": ...}, derivs {"u_t", "u_xx", ...}."""
    fields = {name: u[:, j] for j, name in enumerate(outputs)}
    derivs = {}
    for i, d in du.items():
        derivs.update({f"{name}_{inputs[i]}": d[:, j] for j, name in enumerate(outputs)})
    for i, d in d2u.items():
        derivs.update({f"{name}_{inputs[i] * 2}": d[:, j] for j, name in enumerate(outputs)})
    return fields, derivs
