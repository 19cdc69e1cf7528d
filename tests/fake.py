"""Small synthetic results that follow the file contract of the PINN and operator stages.

Fields are closed forms (heat-equation modes, the NLS soliton |h| = 2 sech x
rotating in phase) plus a known perturbation, so the errors the report shows
are known in advance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from nnphys.io import SAMPLE, STEP, T, X, Y, write_dataset, write_json
from nnphys.pinn.problems import PHYSICS
from nnphys.run_names import parse_run_name, run_name

ND = {"units": "1"}


def _coords_tx(t, x):
    return {T: (T, t, {**ND, "long_name": "time"}), X: (X, x, {**ND, "long_name": "position x"})}


def reference_heat1d(k: float = 0.4, nt: int = 41, nx: int = 33) -> xr.Dataset:
    t, x = np.linspace(0, 1, nt), np.linspace(0, 1, nx)
    u = np.exp(-k * np.pi**2 * t)[:, None] * np.sin(np.pi * x)[None, :]
    return xr.Dataset({"u": ((T, X), u, {**ND, "long_name": "temperature u"})}, coords=_coords_tx(t, x))


def reference_nls(nt: int = 51, nx: int = 64) -> xr.Dataset:
    t, x = np.linspace(0, np.pi / 2, nt), np.linspace(-5, 5, nx, endpoint=False)
    h = 2 / np.cosh(x)[None, :] * np.exp(2j * t)[:, None]
    return xr.Dataset({"u": ((T, X), h.real, {**ND, "long_name": "real part of h"}),
                       "v": ((T, X), h.imag, {**ND, "long_name": "imaginary part of h"}),
                       "h_abs": ((T, X), np.abs(h), {**ND, "long_name": "modulus |h|"})},
                      coords=_coords_tx(t, x))


def history_pinn(steps: int = 50, inverse: bool = False, k: float = 0.4) -> xr.Dataset:
    s = np.arange(steps)
    rel = np.full(steps, np.nan)
    rel[::10] = 0.5 * np.exp(-s[::10] / 20)
    data = {"loss_total": (STEP, 2 * np.exp(-s / 10), {**ND, "long_name": "total loss"}),
            "loss_pde": (STEP, np.exp(-s / 10), {**ND, "long_name": "PDE residual loss"}),
            "loss_ic": (STEP, np.exp(-s / 12), {**ND, "long_name": "initial condition loss"}),
            "rel_l2": (STEP, rel, {**ND, "long_name": "relative L2 error"}),
            "wall_time": (STEP, 0.01 * (s + 1), {"units": "s", "long_name": "wall-clock time"})}
    if inverse:
        data["k_hat"] = (STEP, k * (1 - 0.5 * np.exp(-s / 10)), {"units": "1", "long_name": "estimated diffusivity"})
    return xr.Dataset(data, coords={STEP: (STEP, s, {**ND, "long_name": "optimizer step"})})


def history_operator(epochs: int = 12) -> xr.Dataset:
    e = np.arange(1, epochs + 1)
    return xr.Dataset({"loss_train": (STEP, np.exp(-e / 4), {**ND, "long_name": "training loss"}),
                       "loss_val": (STEP, 1.2 * np.exp(-e / 4), {**ND, "long_name": "validation loss"}),
                       "lr": (STEP, 1e-3 * 0.9**e, {"units": "1", "long_name": "learning rate"}),
                       "wall_time": (STEP, 0.5 * e, {"units": "s", "long_name": "wall-clock time"})},
                      coords={STEP: (STEP, e, {**ND, "long_name": "epoch"})})


def prediction_poisson(n_samples: int = 8, n: int = 16, seed: int = 0) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    x = np.arange(n) / n
    kx = 2 * np.pi * np.fft.fftfreq(n, 1 / n)
    k2 = kx[:, None] ** 2 + kx[None, :] ** 2
    rho = rng.standard_normal((n_samples, n, n))
    rho -= rho.mean(axis=(1, 2), keepdims=True)
    rho_hat = np.fft.fft2(rho)
    phi = np.real(np.fft.ifft2(rho_hat / np.where(k2 > 0, k2, 1.0) * (k2 > 0)))
    noise = 0.05 * np.std(phi) * rng.standard_normal(phi.shape) * np.linspace(0.5, 2, n_samples)[:, None, None]
    dims = (SAMPLE, X, Y)
    return xr.Dataset({"rho": (dims, rho, {"units": "charge/L^2", "long_name": "charge density rho"}),
                       "phi": (dims, phi, {"units": "charge/eps0", "long_name": "electric potential phi"}),
                       "phi_pred": (dims, phi + noise, {"units": "charge/eps0", "long_name": "predicted phi"})},
                      coords={SAMPLE: (SAMPLE, np.arange(n_samples), {**ND, "long_name": "sample index"}),
                              X: (X, x, {"units": "L", "long_name": "position x"}),
                              Y: (Y, x.copy(), {"units": "L", "long_name": "position y"})})


def prediction_heat2d(n_samples: int = 4, nt: int = 6, n: int = 16, seed: int = 0) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    x = np.arange(n) / n
    kx = 2 * np.pi * np.fft.fftfreq(n, 1 / n)
    k2 = kx[:, None] ** 2 + kx[None, :] ** 2
    t = 0.001 * np.arange(nt)
    u0 = np.real(np.fft.ifft2(np.fft.fft2(rng.standard_normal((n_samples, n, n))) * np.exp(-k2 / 200)))
    u = np.real(np.fft.ifft2(np.fft.fft2(u0)[:, None] * np.exp(-k2[None, None] * t[None, :, None, None])))
    drift = 0.02 * np.std(u0) * np.arange(nt)[None, :, None, None] * rng.standard_normal(u.shape)
    pred = u + drift
    num = np.sqrt(((pred - u) ** 2).sum(axis=(0, 2, 3)))
    den = np.sqrt((u**2).sum(axis=(0, 2, 3)))
    dims = (SAMPLE, T, X, Y)
    return xr.Dataset({"u": (dims, u, {**ND, "long_name": "temperature u"}),
                       "u_pred": (dims, pred, {**ND, "long_name": "predicted temperature u"}),
                       "rollout_rel_l2": (STEP, num / den, {**ND, "long_name": "rollout relative L2 error"})},
                      coords={SAMPLE: (SAMPLE, np.arange(n_samples), {**ND, "long_name": "sample index"}),
                              T: (T, t, {**ND, "long_name": "time"}),
                              STEP: (STEP, np.arange(nt), {**ND, "long_name": "rollout step"}),
                              X: (X, x, {**ND, "long_name": "position x / L"}),
                              Y: (Y, x.copy(), {**ND, "long_name": "position y / L"})})


def _metrics(kind, problem, model, seed, metrics, **extra):
    return {"kind": kind, "problem": problem, "model": model, "seed": seed, "run": run_name(model, seed),
            "device": "cpu", "train_seconds": 10.0 + seed, "metrics": metrics, **extra}


def write_results(root: Path) -> dict[str, list[tuple[str, str]]]:
    """Write a full set of fake results under ``root``; returns the PINN and operator (problem, run) pairs."""
    root = Path(root)
    refs = {"heat1d": reference_heat1d(), "nls": reference_nls()}
    for name, ds in refs.items():
        write_dataset(ds, root / "reference" / f"{name}.nc", params={"k": 0.4} if name == "heat1d" else {})
    pinn = [("heat1d", "mlp-s0"), ("heat1d", "mlp-s1"), ("nls", "mlp-s0"), ("heat1d_inverse", "mlp-s0")]
    for problem, run in pinn:
        model, seed = parse_run_name(run)
        ref = refs[PHYSICS[problem]]
        pred = ref.copy(deep=True)
        for v in pred.data_vars:
            pred[v] = (pred[v] * (1 + 0.01 * (seed + 1) * np.sin(3 * pred[X]))).assign_attrs(ref[v].attrs)
        d = root / "pinn" / problem / run
        write_dataset(pred, d / "prediction.nc", params={})
        write_dataset(history_pinn(inverse=problem.endswith("_inverse")), d / "history.nc", params={})
        m = {"rel_l2": 0.01 * (seed + 1), "max_abs": 0.02 * (seed + 1)}
        if problem == "nls":
            m = {"rel_l2_abs": 0.012, "rel_l2_complex": 0.015}
        if problem.endswith("_inverse"):
            m.update(k_hat=0.398, k_rel_error=0.005)
        write_json(d / "metrics.json", _metrics("pinn", problem, model, seed, m, steps=50))
    operator = [("poisson", "unet-s0"), ("poisson", "unet-s1"), ("poisson", "fno-s0"), ("heat2d", "unet-s0")]
    for task, run in operator:
        model, seed = parse_run_name(run)
        d = root / "operator" / task / run
        pred = prediction_poisson(seed=seed) if task == "poisson" else prediction_heat2d(seed=seed)
        write_dataset(pred, d / "prediction.nc", params={})
        write_dataset(history_operator(), d / "history.nc", params={})
        m = {"rel_l2_mean": 0.05 + 0.01 * seed, "rel_l2_median": 0.04, "rel_l2_p95": 0.09,
             "band_low": 0.02, "band_mid": 0.08, "band_high": 0.3}
        if task == "heat2d":
            m = {"one_step_rel_l2": 0.01, "rollout_rel_l2_final": 0.1}
        write_json(d / "metrics.json", _metrics("operator", task, model, seed, m, epochs=12))
    return {"pinn": pinn, "operator": operator}
