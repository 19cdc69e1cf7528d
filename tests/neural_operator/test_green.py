"""Green's function and saliency: the exact operator's point-charge response, saliency and Green's function
coincide; the study's arithmetic and files."""

import dataclasses

import numpy as np
import pytest
import torch

from nnphys.evaluation.studies import green as green_report
from nnphys.evaluation.style import Style
from nnphys.io import write_dataset, write_json
from nnphys.neural_operator import data as od
from nnphys.neural_operator import green
from nnphys.physics import lattice, poisson


def closed_form_green(p, node):
    """G(r; r') = (1 / (eps0 L^2)) sum_{k != 0} exp(i k.(r - r')) / |k|^2, the periodic spectral lattice's."""
    x = lattice.coords(p.n, p.length, p.boundary)
    k = 2 * np.pi * np.fft.fftfreq(p.n, p.length / p.n)
    g = np.zeros((p.n, p.n))
    for kx in k:
        for ky in k:
            if kx or ky:
                g += np.cos(kx * (x[:, None] - x[node[0]]) + ky * (x[None, :] - x[node[1]])) / (kx**2 + ky**2)
    return g / (p.eps0 * p.length**2)


def jacobian(p):
    """K with phi = K rho (flattened), column by column from unit perturbations (the solver is linear)."""
    eye = np.eye(p.n * p.n).reshape(-1, p.n, p.n)
    if p.boundary == "periodic":
        eye = eye - eye.mean(axis=(-2, -1), keepdims=True)  # the solver neutralizes: so does d/d rho
    return poisson.potential(eye, p).reshape(p.n * p.n, -1).T


@pytest.mark.parametrize("boundary, solver", [("periodic", "fft"), ("dirichlet", "dst")])
def test_the_exact_point_charge_response_is_the_green_function_and_the_scaled_saliency(boundary, solver):
    p = poisson.Params(n=8, length=1.3, eps0=2.0, boundary=boundary, solver=solver)
    h = lattice.spacing(p.n, p.length, p.boundary)
    nodes = np.array([[2, 5], [0, 0], [4, 4]])
    response = poisson.potential(poisson.unit_charges(nodes, p), p)
    k = jacobian(p)
    for (i, j), r in zip(nodes, response):
        saliency = k[i * p.n + j].reshape(p.n, p.n) / h**2  # the row d phi(r0) / d rho
        np.testing.assert_allclose(saliency, r, atol=1e-12 * np.abs(r).max())
        if boundary == "periodic":
            np.testing.assert_allclose(r, closed_form_green(p, (i, j)), atol=1e-12 * np.abs(r).max())


class Exact(torch.nn.Module):
    """The exact solution operator as a network: phi = K rho (E left zero), float64."""

    def __init__(self, p):
        super().__init__()
        self.n = p.n
        self.register_buffer("k", torch.from_numpy(jacobian(p)))

    def forward(self, x):
        phi = (x.flatten(1).double() @ self.k.T).reshape(-1, 1, self.n, self.n)
        return torch.cat([phi, torch.zeros_like(phi), torch.zeros_like(phi)], dim=1)


def test_the_study_finds_the_exact_operator_exact_and_a_wrong_one_wrong(poisson_file):
    fields = od.load("poisson", poisson_file)
    p = poisson.Params(**{f.name: fields.params[f.name] for f in dataclasses.fields(poisson.Params)
                          if f.name in fields.params})
    stats = {"in_mean": [0.0], "in_std": [1.0], "out_mean": [0.0] * 3, "out_std": [1.0] * 3}
    exact = od.Operator(Exact(p), stats, residual=False)
    positions = [[0.5, 0.5], [0.1, 0.8]]
    ds, m = green.study(exact, fields, fields.x[:1], positions, near=2)
    for key in ("response", "saliency"):
        for region in ("all", "near", "far"):
            assert m[f"{key}_rel_l2_{region}"] < 1e-6, (key, region)  # float32 output: rounding
    assert list(ds.i0.values) == [8, 2] and list(ds.j0.values) == [8, 13]  # nearest nodes of 16 at spacing 1/16

    halved = od.Operator(Exact(p), {**stats, "out_std": [0.5] * 3}, residual=False)
    _, m = green.study(halved, fields, fields.x[:1], positions, near=2)
    assert m["response_rel_l2_all"] == pytest.approx(0.5, rel=1e-5)
    assert m["saliency_rel_l2_far"] == pytest.approx(0.5, rel=1e-5)


def test_saliency_is_the_jacobian_row_at_the_input():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.Tanh(), torch.nn.Conv2d(4, 3, 3, padding=1))
    stats = {"in_mean": [0.0], "in_std": [1.0], "out_mean": [0.0] * 3, "out_std": [1.0] * 3}
    op = od.Operator(net.double(), stats, residual=False)
    x = torch.randn(1, 1, 6, 6, dtype=torch.float64)
    row = torch.autograd.functional.jacobian(lambda z: op(z)[0, 0, 2, 3], x)[0, 0]
    np.testing.assert_allclose(green.saliency(op, x, 0, np.array([2, 3])), row.numpy(), rtol=1e-12)
    np.testing.assert_allclose(green.saliency(op, x, 0, np.array([2, 3])), row.numpy(), rtol=1e-12)  # no build-up


def test_ring_profile_averages_over_rings():
    dist = lattice.distance((0, 0), 4, "periodic")  # as operator-green stores it
    d, mean = green_report.ring_profile(dist, dist)
    assert list(d) == [0, 1, 2, 3]  # 4 x 4 periodic: the farthest node is at sqrt(8), ring 3
    assert mean[1] == pytest.approx((4 * 1 + 4 * np.sqrt(2)) / 8)  # ring 1: 4 neighbours and 4 diagonals


def test_study_files(poisson_file, tmp_path):
    fields = od.load("poisson", poisson_file)
    p = poisson.Params(**{f.name: fields.params[f.name] for f in dataclasses.fields(poisson.Params)
                          if f.name in fields.params})
    stats = {"in_mean": [0.0], "in_std": [1.0], "out_mean": [0.0] * 3, "out_std": [1.0] * 3}
    ds, m = green.study(od.Operator(Exact(p), stats, residual=False), fields, fields.x[:1], [[0.5, 0.5]], 2)
    write_dataset(ds, tmp_path / "g.nc", params={})
    write_json(tmp_path / "g.json", {"run": "exact-s0", "metrics": m})
    green_report.write([tmp_path / "g.nc"], [tmp_path / "g.json"], tmp_path / "out", Style())
    assert {f.name for f in (tmp_path / "out").iterdir()} == {
        "green.csv", "green.md", "exact-s0.png", "exact-s0.pdf", "profile.png", "profile.pdf"}
    assert "exact-s0" in (tmp_path / "out" / "green.md").read_text()
