"""Taylor-mode derivatives agree with nested autograd and with finite differences."""

import pytest
import torch

from nnphys.models.mlp import MLP
from nnphys.training import derivatives
from nnphys.training.derivatives import _ActivationJet, _MLPJet, jet


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
def test_activation_jet_backward_is_the_gradient(sel, activation):
    torch.manual_seed(2)
    h = torch.randn(1 + 2 + len(sel), 3, 4, dtype=torch.float64, requires_grad=True)
    b = torch.randn(4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda h, b: _ActivationJet.apply(h, b, 2, sel, activation), (h, b))


@pytest.mark.parametrize("sel", [[1], [0, 1], []])
@pytest.mark.parametrize("activation", ["tanh", "sin"])
def test_fused_jet_backward_is_the_gradient(sel, activation, monkeypatch):
    # a few rows per chunk, the last one ragged: the chunked passes must add up to the whole
    monkeypatch.setattr(derivatives, "CHUNK_BYTES", 3 * (3 + len(sel)) * 5 * 8)
    torch.manual_seed(3)
    sizes = [3, 5, 4, 2]
    params = [t.requires_grad_() for a, b in zip(sizes[:-1], sizes[1:])
              for t in (torch.randn(b, a, dtype=torch.float64), torch.randn(b, dtype=torch.float64))]
    h = torch.randn(7, 3 + len(sel), 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda h, *p: _MLPJet.apply(h, 2, sel, activation, *p), (h, *params))


def test_fused_and_layerwise_jets_agree():
    net, x = _net(), _points(40)
    fused = jet(net, x, first=(0,), second=(1,))
    layerwise = jet(net, x, first=(0,), second=(1,), tape=[])
    for a, b in [(fused[0], layerwise[0]), *zip(fused[1].values(), layerwise[1].values()),
                 *zip(fused[2].values(), layerwise[2].values())]:
        assert torch.allclose(a, b, atol=1e-13)
    g_fused = torch.autograd.grad(sum((d ** 2).sum() for d in fused[2].values()), list(net.parameters()))
    g_layer = torch.autograd.grad(sum((d ** 2).sum() for d in layerwise[2].values()), list(net.parameters()))
    assert all(torch.allclose(a, b, atol=1e-10) for a, b in zip(g_fused, g_layer))


def test_periodic_embedding_is_exactly_periodic():
    net, x = _net(periodic={1: 10.0}), _points()
    with torch.no_grad():
        assert torch.allclose(net(x), net(x + torch.tensor([0.0, 10.0], dtype=torch.float64)), atol=1e-12)


def test_inputs_are_scaled_to_unit_box():
    net = _net()
    z = net.embed(torch.tensor([[0.0, -5.0], [1.5, 5.0], [0.75, 0.0]], dtype=torch.float64))
    assert torch.allclose(z, torch.tensor([[-1.0, -1.0], [1.0, 1.0], [0.0, 0.0]], dtype=torch.float64))
