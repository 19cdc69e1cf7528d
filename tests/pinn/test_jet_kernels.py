"""The C kernels of the jet pass: built, equal to the torch operations they replace, reproducible on any
number of threads, and harmless to the process's floating-point state."""

from __future__ import annotations

import platform
import sys

import pytest
import torch

from nnphys.models.mlp import MLP
from nnphys.pinn import jet_kernels
from nnphys.pinn.derivatives import jet

needs_kernels = pytest.mark.skipif(not jet_kernels.available, reason="the C kernels are not built")


@pytest.mark.skipif(not (sys.platform.startswith("linux") and platform.machine() == "x86_64"),
                    reason="the build is checked where CI runs: Linux x86-64 with gcc")
def test_pip_install_built_the_kernels():
    assert jet_kernels.available, "pip install -e . did not build nnphys.pinn._jet (is gcc installed?)"
    assert jet_kernels.fused(torch.zeros(1), "tanh", 1, 0, []).whole, "torch exports no BLAS gemm to the whole pass"


def _pass(dtype, activation="tanh", threads=1, width=64):
    """Value, jet and weight gradient of an NLS-shaped pass: 2 inputs, 3 hidden layers of ``width``, first
    derivatives along both inputs, the second along the first. 3001 points: the last chunk's rows do not fill
    the kernels' last tile of rows."""
    torch.manual_seed(0)
    net = MLP([-5.0, 0.0], [5.0, 1.5], 2, width=width, depth=3, activation=activation).to(dtype)
    with torch.no_grad():  # trained biases: not the zeros the net starts from
        for layer in net.layers:
            layer.bias.normal_(0, 0.5)
    x = torch.rand(3001, 2, dtype=dtype) * torch.tensor([10.0, 1.5], dtype=dtype) - torch.tensor([5.0, 0.0],
                                                                                                 dtype=dtype)
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        u, du, d2u = jet(net, x, first=(1,), second=(0,))
        loss = (u ** 2).mean() + (du[1] ** 2).mean() + (d2u[0] ** 2).mean()
        grads = torch.autograd.grad(loss, list(net.parameters()))
    finally:
        torch.set_num_threads(saved)
    return [t.detach() for t in (u, du[0], du[1], d2u[0], *grads)]


@needs_kernels
@pytest.mark.parametrize("activation", ["tanh", "sin"])
@pytest.mark.parametrize("dtype, rtol", [(torch.float32, 2e-5), (torch.float64, 1e-12)])
# 64 and 100 features: tiles of whole rows (4 and 2); 300: a row in blocks (the kernels' BLOCK is 256)
@pytest.mark.parametrize("width", [64, 100, 300])
# the whole pass in one call, or (where torch exports no gemm) layer by layer from Python
@pytest.mark.parametrize("whole", [True, False])
def test_fused_pass_equals_the_torch_operations(activation, dtype, rtol, width, whole, monkeypatch):
    if not whole:
        monkeypatch.setattr(jet_kernels, "_gemm", None)
    fused = _pass(dtype, activation, width=width)
    with jet_kernels.torch_operations():
        plain = _pass(dtype, activation, width=width)
    for a, b in zip(fused, plain):
        assert float((a - b).abs().max()) <= rtol * float(b.abs().max())


@needs_kernels
@pytest.mark.parametrize("whole", [True, False])
def test_fused_pass_is_reproducible_and_shares_rows_out_among_threads(whole, monkeypatch):
    if not whole:
        monkeypatch.setattr(jet_kernels, "_gemm", None)
    one, two, again = (_pass(torch.float32, threads=n) for n in (1, 2, 2))
    assert all(torch.equal(a, b) for a, b in zip(two, again))
    # the matrix products' sums may be split differently on two threads; the kernels' rows must all be done
    assert all(float((a - b).abs().max()) <= 2e-5 * float(b.abs().max()) for a, b in zip(one, two))


@needs_kernels
def test_loading_the_kernels_keeps_subnormal_numbers():
    # gcc links crtfastmath.o into a library linked with -ffast-math, which flushes subnormals process-wide
    tiny = torch.tensor(1e-40, dtype=torch.float32)
    assert float(tiny * 1.0) > 0


@needs_kernels
def test_strided_tensors_are_refused():
    kernels = jet_kernels.fused(torch.zeros(1), "tanh", 2, 1, [])
    z = torch.zeros(2, 4, 6)
    with pytest.raises(ValueError, match="contiguous"):
        kernels.forward(z, torch.zeros(6), torch.zeros(2, 6, 4).transpose(1, 2), torch.zeros(4, 6))


@pytest.mark.parametrize("built", [True, False])
def test_a_run_without_the_kernels_says_so(built, monkeypatch, tmp_path, capsys):
    from nnphys.pinn.runs import train_run

    from .conftest import heat_reference, tiny_run

    monkeypatch.setattr(jet_kernels, "available", built)
    train_run("heat1d", tiny_run(), heat_reference(), tmp_path, torch.device("cpu"))
    assert ("C kernels were not built" in capsys.readouterr().err) == (not built)
