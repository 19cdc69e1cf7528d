"""The jet pass's elementwise work at a layer, fused into one sweep in C (``_jet.c``, built by ``pip install``).

Per layer, for a chunk's pre-activations z (K, m, f) of value and derivative slots (see
:mod:`nnphys.pinn.derivatives` for the slots and equations), :meth:`Fused.forward` writes the layer's output
h (K, m, f) and σ' (m, f), and :meth:`Fused.backward` turns the gradient w.r.t. h into that w.r.t. z. Torch
makes one pass over memory per elementwise operation, about ten a layer and direction; the kernels make
one, block by block while it is in cache, with σ from glibc's vector math (a few ulp from torch's).

:meth:`Fused.pass_forward` and :meth:`Fused.pass_backward` take a whole pass through every layer in one call
(``_jet_pass.h``), the matrix products on the BLAS gemm torch's CPU library exports, called single-threaded
from each thread: at Raissi et al.'s NLS sizes the Python loop over chunks and layers made about 750 calls
a step, each a fork and join of the threads, and the matrix products and sweeps of a chunk were shared out
among the cores by different rules, so a core's sweep read what the other's product had written. Where
torch exports no gemm (``Fused.whole`` False), the pass goes layer by layer through :meth:`Fused.forward`
and :meth:`Fused.backward`.

:func:`fused` returns None when the extension was not built (no C compiler at install), for tensors it
does not cover (not on the CPU, not float32/float64) or inside :func:`torch_operations`: the caller then uses
torch operations.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import torch

try:
    from nnphys.pinn import _jet
    _lib = ctypes.CDLL(_jet.__file__)
except (ImportError, OSError):
    _lib = None

ACTIVATIONS = {"tanh": 0, "sin": 1}
_SUFFIX = {torch.float32: "f32", torch.float64: "f64"}
_P, _I, _N = ctypes.c_void_p, ctypes.c_int, ctypes.c_ssize_t
_HEAD = [_I, _I, _I, _I, _P]  # activation, K, n_first, n_sel, sel
_CHUNKS = [_I, _P, _P, _N]  # n_chunks, row0, rows, n


def _torch_gemm() -> dict | None:
    """The BLAS gemm functions torch's CPU library exports (MKL in the x86-64 wheels), by dtype, or None: the
    whole-pass kernels run their matrix products on them."""
    try:
        lib = ctypes.CDLL(str(Path(torch.__file__).parent / "lib" / "libtorch_cpu.so"))
        return {torch.float32: ctypes.cast(lib.sgemm_, _P).value, torch.float64: ctypes.cast(lib.dgemm_, _P).value}
    except (OSError, AttributeError):
        return None


_gemm = None
if _lib is not None:
    for _s in _SUFFIX.values():
        getattr(_lib, f"jet_forward_{_s}").argtypes = [*_HEAD, _N, _N, _P, _P, _P, _P, _I]
        getattr(_lib, f"jet_backward_{_s}").argtypes = [*_HEAD, _N, _N, _P, _P, _P, _P, _P, _P, _I]
        getattr(_lib, f"jet_backward_{_s}").restype = _I
        getattr(_lib, f"jet_pass_forward_{_s}").argtypes = [*_HEAD, _I, _P, _P, _P, *_CHUNKS, *[_P] * 5, _I]
        getattr(_lib, f"jet_pass_forward_{_s}").restype = _I
        getattr(_lib, f"jet_pass_backward_{_s}").argtypes = [*_HEAD, _I, _P, _P, *_CHUNKS, *[_P] * 9, _N, _I]
        getattr(_lib, f"jet_pass_backward_{_s}").restype = _I
        getattr(_lib, f"jet_set_gemm_{_s}").argtypes = [_P]
    _gemm = _torch_gemm()
    if _gemm is not None:
        for _dtype, _fn in _gemm.items():
            getattr(_lib, f"jet_set_gemm_{_SUFFIX[_dtype]}")(_fn)

available = _lib is not None
_off = False


class Fused:
    """The kernels for one pass: ``k`` slots, ``n_first`` first-derivative slots, second derivatives on the
    first slots ``sel``. All tensors given must be contiguous, of the pass's dtype, on the CPU."""

    def __init__(self, activation: str, dtype: torch.dtype, k: int, n_first: int, sel: Sequence[int]):
        self.head = (ACTIVATIONS[activation], k, n_first, len(sel), (ctypes.c_int * max(1, len(sel)))(*sel))
        self._forward = getattr(_lib, f"jet_forward_{_SUFFIX[dtype]}")
        self._backward = getattr(_lib, f"jet_backward_{_SUFFIX[dtype]}")
        self._pass_forward = getattr(_lib, f"jet_pass_forward_{_SUFFIX[dtype]}")
        self._pass_backward = getattr(_lib, f"jet_pass_backward_{_SUFFIX[dtype]}")
        self.whole = _gemm is not None

    def pass_forward(self, layers: Layers, out: torch.Tensor) -> None:
        """The whole pass through ``layers``: out (K, n, d_out) and every hidden layer's saved tensors."""
        _check(out)
        if self._pass_forward(*self.head, *layers.net, layers.bs, *layers.chunks, *layers.saved, out.data_ptr(),
                              torch.get_num_threads()):
            raise MemoryError("jet kernels: no memory for the biases' tiles")

    def pass_backward(self, layers: Layers, g: torch.Tensor, gws: Sequence[torch.Tensor],
                      gbs: Sequence[torch.Tensor], gh0: torch.Tensor | None, scratch: torch.Tensor) -> None:
        """Backward of :meth:`pass_forward` from ``g`` (K, n, d_out): adds the weights' gradients to ``gws`` (each
        laid out as :meth:`Layers.weight_sums` makes it) and the biases' to ``gbs``; writes that of the input into
        ``gh0`` (K, n, d_in) unless it is None. ``scratch``: 2 × threads × ``layers.scratch_len`` elements."""
        _check(g, *gws, *gbs, *(() if gh0 is None else (gh0,)), scratch)
        threads = torch.get_num_threads()
        if scratch.numel() < 2 * threads * layers.scratch_len:
            raise ValueError("jet kernels: scratch too small")
        if self._pass_backward(
                *self.head, *layers.net, *layers.chunks, *layers.saved, g.data_ptr(), _pointers(gws), _pointers(gbs),
                None if gh0 is None else gh0.data_ptr(), scratch.data_ptr(), layers.scratch_len, threads):
            raise MemoryError("jet kernels: no memory for the per-thread gradient sums")

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


class Layers:
    """What the whole-pass kernels read of a :class:`~nnphys.pinn.derivatives.JetPass`, as C arrays: the weights
    ``ws`` (f_out, f_in) and biases ``bs``, the chunks (row slices of the pass's input ``h0`` (K, n, f0)), and the
    addresses of the tensors kept for the backward, chunk by chunk and hidden layer by hidden layer: its output
    ``hs`` and pre-activation ``zs`` (K, m, f) and σ' ``d1s`` (m, f), each contiguous (see ``_jet_pass.h``)."""

    def __init__(self, ws: Sequence[torch.Tensor], bs: Sequence[torch.Tensor], chunks: Sequence[slice],
                 h0: torch.Tensor, hs: Sequence[int], zs: Sequence[int], d1s: Sequence[int]):
        ws, bs = [w.contiguous() for w in ws], [b.contiguous() for b in bs]
        _check(h0)
        self.tensors = (ws, bs, h0)  # the C arrays point into them
        widths = [ws[0].shape[1], *(w.shape[0] for w in ws)]
        self.widths = widths
        self.net = (len(ws), (_I * len(widths))(*widths), _pointers(ws))
        self.bs = _pointers(bs)
        self.chunks = (len(chunks), (_N * len(chunks))(*(r.start for r in chunks)),
                       (_I * len(chunks))(*(r.stop - r.start for r in chunks)), h0.shape[1])
        self.saved = (h0.data_ptr(), *((_P * len(a))(*a) for a in (hs, zs, d1s)))
        self.scratch_len = max(r.stop - r.start for r in chunks) * h0.shape[0] * max(widths[1:])

    def weight_sums(self, like: torch.Tensor) -> list[torch.Tensor]:
        """Zeroed sums of each layer's weight gradient, (f_out, f_in) where f_in >= f_out, else (f_in, f_out):
        :meth:`weights` turns them into the gradients."""
        return [like.new_zeros((fo, fi) if fi >= fo else (fi, fo)) for fi, fo in zip(self.widths, self.widths[1:])]

    def weights(self, sums: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        return [s if fi >= fo else s.t() for s, fi, fo in zip(sums, self.widths, self.widths[1:])]


def _pointers(tensors: Sequence[torch.Tensor]):
    return (_P * len(tensors))(*(t.data_ptr() for t in tensors))


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
