"""Taylor-mode derivatives agree with nested autograd and with finite differences."""

import pytest
import torch

from nnphys.models.mlp import MLP
from nnphys.pinn import derivatives
from nnphys.pinn.derivatives import _MLPJet, jet

pytestmark = pytest.mark.usefixtures("elementwise")


def _net(activation="tanh", periodic=None):
    torch.manual_seed(0)
    return MLP([0.0, -5.0], [1.5, 5.0], 2, width=12, depth=3, activation=activation, periodic=periodic).double()


def _points(n=9):
    torch.manual_seed(1)
    return torch.rand(n, 2, dtype=torch.float64) * torch.tensor([1.5, 10.0]) + torch.tensor([0.0, -5.0])


@pytest.mark.parametrize("activation", ["tanh", "sin"])
@pytest.mark.parametrize("periodic", [None, {1: 10.0}])
def test_jet_matches_autograd(activation, periodic):
    net, x = _net(activation, periodic), _points()
    u, du, d2u = jet(net, x, first=(0,), second=(1,))
    xr = x.clone().requires_grad_()
    ur = net(xr)
    assert torch.allclose(u, ur, atol=1e-14)
    for j in range(2):
        g = torch.autograd.grad(ur[:, j].sum(), xr, create_graph=True)[0]
        gxx = torch.autograd.grad(g[:, 1].sum(), xr, retain_graph=True)[0][:, 1]
        assert torch.allclose(du[0][:, j], g[:, 0], atol=1e-13)
        assert torch.allclose(du[1][:, j], g[:, 1], atol=1e-13)
        assert torch.allclose(d2u[1][:, j], gxx, atol=1e-12)


def test_jet_matches_finite_differences():
    net, x = _net(), _points()
    _, du, d2u = jet(net, x, first=(0,), second=(1,))
    h = 1e-4
    ex, et = torch.tensor([0.0, h], dtype=torch.float64), torch.tensor([h, 0.0], dtype=torch.float64)
    with torch.no_grad():
        fd_t = (net(x + et) - net(x - et)) / (2 * h)
        fd_xx = (net(x + ex) - 2 * net(x) + net(x - ex)) / h**2
    assert torch.allclose(du[0], fd_t, atol=1e-7)
    assert torch.allclose(d2u[1], fd_xx, atol=1e-5)


@pytest.mark.parametrize("sel", [[1], [0, 1], []])
@pytest.mark.parametrize("activation", ["tanh", "sin"])
def test_fused_jet_backward_is_the_gradient(sel, activation, monkeypatch):
    # a few rows per chunk, the last one ragged: the chunked passes must add up to the whole
    monkeypatch.setattr(derivatives, "CHUNK_BYTES", 3 * (3 + len(sel)) * 5 * 8)
    torch.manual_seed(3)
    sizes = [3, 5, 4, 2]
    params = [t.requires_grad_() for a, b in zip(sizes[:-1], sizes[1:])
              for t in (torch.randn(b, a, dtype=torch.float64), torch.randn(b, dtype=torch.float64))]
    h = torch.randn(3 + len(sel), 7, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda h, *p: _MLPJet.apply(h, 2, sel, activation, None, *p), (h, *params))


@pytest.mark.parametrize("threads", [1, 2])
def test_many_chunks_at_one_and_two_threads_match_nested_autograd(threads, monkeypatch):
    # many small chunks, the last one ragged: the chunked sums must equal the whole
    monkeypatch.setattr(derivatives, "CHUNK_BYTES", 4 * 12 * 8 * 7)
    net, x = _net(), _points(100)
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        u, du, d2u = jet(net, x, first=(0,), second=(1,))
        grads = torch.autograd.grad((u ** 2).sum() + (d2u[1] ** 2).sum(), list(net.parameters()))
    finally:
        torch.set_num_threads(saved)
    xr = x.clone().requires_grad_()
    ur = net(xr)
    gxx = [torch.autograd.grad(torch.autograd.grad(ur[:, j].sum(), xr, create_graph=True)[0][:, 1].sum(), xr,
                               create_graph=True)[0][:, 1] for j in range(2)]
    assert torch.allclose(d2u[1], torch.stack(gxx, 1), atol=1e-12)
    ref = torch.autograd.grad((ur ** 2).sum() + sum((g ** 2).sum() for g in gxx), list(net.parameters()))
    assert all(torch.allclose(a, b, atol=1e-10) for a, b in zip(grads, ref))


def test_periodic_embedding_is_exactly_periodic():
    net, x = _net(periodic={1: 10.0}), _points()
    with torch.no_grad():
        assert torch.allclose(net(x), net(x + torch.tensor([0.0, 10.0], dtype=torch.float64)), atol=1e-12)


def test_inputs_are_scaled_to_unit_box():
    net = _net()
    z = net.embed(torch.tensor([[0.0, -5.0], [1.5, 5.0], [0.75, 0.0]], dtype=torch.float64))
    assert torch.allclose(z, torch.tensor([[-1.0, -1.0], [1.0, 1.0], [0.0, 0.0]], dtype=torch.float64))
