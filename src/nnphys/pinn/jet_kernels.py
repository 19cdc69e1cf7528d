"""The jet pass's elementwise work at a layer, fused into one sweep in C (``_jet.c``, built by ``pip install``).

Per layer, for a chunk's pre-activations z (K, m, f) of value and derivative slots (see
:mod:`nnphys.pinn.derivatives` for the slots and equations), :meth:`Fused.forward` writes the layer's output
h (K, m, f) and σ' (m, f), and :meth:`Fused.backward` turns the gradient w.r.t. h into that w.r.t. z. Torch
makes one pass over memory per elementwise operation, about ten a layer and direction; the kernels make
one, block by block while it is in cache, with σ from glibc's vector math (a few ulp from torch's).

:func:`fused` returns None when the extension was not built (no C compiler at install), for tensors it
does not cover (not on the CPU, not float32/float64) or inside :func:`torch_operations`: the caller then uses
torch operations.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch

try:
    from nnphys.pinn import _jet
    _lib = ctypes.CDLL(_jet.__file__)
except (ImportError, OSError):
    _lib = None

ACTIVATIONS = {"tanh": 0, "sin": 1}
_SUFFIX = {torch.float32: "f32", torch.float64: "f64"}
_P, _I, _N = ctypes.c_void_p, ctypes.c_int, ctypes.c_ssize_t
if _lib is not None:
    for _s in _SUFFIX.values():
        getattr(_lib, f"jet_forward_{_s}").argtypes = [_I, _I, _I, _I, _P, _N, _N, _P, _P, _P, _P, _I]
        getattr(_lib, f"jet_backward_{_s}").argtypes = [_I, _I, _I, _I, _P, _N, _N, _P, _P, _P, _P, _P, _P, _I]
        getattr(_lib, f"jet_backward_{_s}").restype = _I

available = _lib is not None
_off = False


class Fused:
    """The kernels for one pass: ``k`` slots, ``n_first`` first-derivative slots, second derivatives on the
    first slots ``sel``. All tensors given must be contiguous, of the pass's dtype, on the CPU."""

    def __init__(self, activation: str, dtype: torch.dtype, k: int, n_first: int, sel: Sequence[int]):
        self.head = (ACTIVATIONS[activation], k, n_first, len(sel), (ctypes.c_int * max(1, len(sel)))(*sel))
        self._forward = getattr(_lib, f"jet_forward_{_SUFFIX[dtype]}")
        self._backward = getattr(_lib, f"jet_backward_{_SUFFIX[dtype]}")

    def forward(self, z: torch.Tensor, b: torch.Tensor, h: torch.Tensor, d1: torch.Tensor) -> None:
        """h = the layer's output slots from pre-activations ``z`` (K, m, f) without the bias ``b`` (f);
        d1 = σ'(z_0 + b) (m, f). z is not changed."""
        _check(z, b, h, d1)
        self._forward(*self.head, z.shape[1], z.shape[2], z.data_ptr(), b.data_ptr(), h.data_ptr(),
                      d1.data_ptr(), torch.get_num_threads())

    def backward(self, z: torch.Tensor, s: torch.Tensor, d1: torch.Tensor, g: torch.Tensor,
                 gz: torch.Tensor, gb: torch.Tensor | None = None) -> None:
        """gz (K, m, f) = the gradient w.r.t. ``z`` from ``g``, that w.r.t. the output; s = σ, d1 = σ' (m, f).
        ``gb`` (f), unless None: the bias's gradient (gz's value slot summed over rows) is added to it."""
        _check(z, s, d1, g, gz, *(() if gb is None else (gb,)))
        if self._backward(*self.head, z.shape[1], z.shape[2], z.data_ptr(), s.data_ptr(), d1.data_ptr(),
                          g.data_ptr(), gz.data_ptr(), None if gb is None else gb.data_ptr(),
                          torch.get_num_threads()):
            raise MemoryError("jet kernels: no memory for the bias gradient's per-thread sums")


def _check(*tensors: torch.Tensor) -> None:
    # a wrong stride would not fail in C, it would read the wrong numbers
    if not all(t.is_contiguous() for t in tensors):
        raise ValueError("jet kernels need contiguous tensors")


def fused(like: torch.Tensor, activation: str, k: int, n_first: int, sel: Sequence[int]) -> Fused | None:
    """The fused kernels for a pass on tensors like ``like``, or None where they do not apply."""
    if _off or _lib is None or like.device.type != "cpu" or like.dtype not in _SUFFIX:
        return None
    return Fused(activation, like.dtype, k, n_first, sel)


@contextmanager
def torch_operations() -> Iterator[None]:
    """Within it, passes use torch operations even where the kernels are built (for comparisons)."""
    global _off
    saved, _off = _off, True
    try:
        yield
    finally:
        _off = saved
