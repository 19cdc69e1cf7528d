"""Evaluate a trained neural operator on its test split: prediction.nc and metrics.json.

Reads ``model.pt`` and the reference file, recomputes the test split from the saved
seed, and never trains. Predictions are made in float32 in fixed batches, so a
re-evaluation writes identical predictions. Besides the field errors of
:mod:`nnphys.neural_operator.metrics` it measures, in the same process:

* ``infer_samples_per_s``: model throughput on the test inputs (one forward pass per sample,
  after a warm-up batch), next to ``reference_samples_per_s``: the physics module's batched
  solver on the same inputs (poisson: phi and E from rho; heat2d: one step of dt);
* ``equivariance_error`` (periodic data): ||f(shift x) - shift f(x)|| / ||f(x)||, test-sample
  mean, for a shift of (3, 5) nodes (not a multiple of any down-sampling factor);
* ``d4_equivariance_error``: the same for the 7 rotations and reflections of the square lattice
  (:mod:`nnphys.models.symmetry`; E transforms as a vector), mean over elements and test samples;
* ``zero_shot_rel_l2`` (every model not built for one grid): rel. L2 on a fresh test set at twice the
  training resolution, drawn by the physics module from the same distribution (seed + 1); the FNO's
  Fourier layers act on physical wavenumbers, a CNN's kernels on cells, so only the FNO is expected to keep
  its accuracy;
* ``ood_rel_l2``: rel. L2 on fresh samples from another distribution: Gaussian random fields of half the
  training correlation length (point charges of half the width), rougher than any training sample (seed + 2);
* heat2d: ``one_step_rel_l2`` (from true states), an autoregressive rollout of
  ``rollout`` steps from u(0), ``rollout_rel_l2`` per step (the input step excluded),
  ``rollout_rel_l2_final`` at the last step; field metrics at the last step.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import xarray as xr

from nnphys import models, physics
from nnphys.io import SAMPLE, STEP, T, X, Y, DataError, load_checkpoint, write_dataset, write_json
from nnphys.models import symmetry
from nnphys.neural_operator import data as od
from nnphys.neural_operator import metrics as om
from nnphys.neural_operator.train import build_operator
from nnphys.run_names import run_name

SHIFT = (3, 5)


def load_operator(path: str | Path, device: torch.device) -> tuple[od.Operator, dict[str, Any]]:
    """The operator saved at ``path`` in eval mode (dropout off: every prediction here is deterministic), and
    its checkpoint."""
    ck = load_checkpoint(path, required=("model", "config", "normalization", "meta"))
    op = build_operator(ck["config"], ck["meta"], ck["normalization"])
    op.net.load_state_dict(ck["model"])
    return op.to(device).eval(), ck


def rollout_steps(cfg: dict) -> int:
    """Steps of the evaluation's autoregressive rollout: heat2d's ``evaluation.rollout``, 0 for poisson."""
    return int(cfg["evaluation"]["rollout"]) if physics.problem(cfg["task"]) == "heat2d" else 0


def load_run(model_path: str | Path, data_path: str | Path, device: torch.device
             ) -> tuple[od.Operator, dict[str, Any], od.Fields, np.ndarray]:
    """The trained operator (eval mode), its checkpoint, the reference fields it was trained on and the test
    split's sample indices; :class:`DataError` if the reference is not the one the model was trained on."""
    op, ck = load_operator(model_path, device)
    cfg, info = ck["config"], ck["meta"]
    fields = od.load(cfg["task"], data_path, outputs=info["outputs"], min_steps=rollout_steps(cfg) + 1)
    od.check_grid(fields, info["grid"], data_path)
    if fields.x.shape[0] != info["n_samples"]:
        raise DataError(f"{data_path}: has {fields.x.shape[0]} samples, the model was trained on a file with "
                        f"{info['n_samples']}: the reference changed since training; retrain")
    test = od.split(fields.x.shape[0], cfg["split"]["val"], cfg["split"]["test"], cfg["split"]["seed"])["test"]
    return op, ck, fields, test


@torch.no_grad()
def predict(op: od.Operator, x: torch.Tensor, batch_size: int, device: torch.device) -> torch.Tensor:
    """op applied to (N, C, H, W) in batches, in the mode op is in; float32 on CPU."""
    return torch.cat([op(b.to(device)).float().cpu() for b in torch.split(x, batch_size)])


@torch.no_grad()
def rollout(op: od.Operator, u0: torch.Tensor, steps: int, batch_size: int, device: torch.device) -> torch.Tensor:
    """Autoregressive trajectories from u0 (N, H, W): (N, steps + 1, H, W), the first being u0."""
    out = []
    for b in torch.split(u0, batch_size):
        u = b.unsqueeze(1).to(device)
        traj = [u]
        for _ in range(steps):
            u = op(u).float()
            traj.append(u)
        out.append(torch.cat(traj, dim=1).cpu())
    return torch.cat(out)


def samples_per_s(fn: Callable[[], Any], n: int, device: torch.device) -> float:
    """Throughput of ``fn`` (processing ``n`` samples), best of 3 after a warm-up call."""
    fn()
    best = np.inf
    for _ in range(3):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    return n / best


def reference_solver(task: str, p) -> Callable[[np.ndarray], np.ndarray]:
    """The physics module's batched solver as input (N, H, W) -> outputs, numpy float64."""
    module = physics.get(task)
    if physics.problem(task) == "poisson":
        if p.boundary == "periodic":  # re-neutralize: the stored float32 rho has a rounding-size net charge
            return lambda rho: np.stack(module.solve_batch(rho - rho.mean(axis=(-2, -1), keepdims=True), p), axis=1)
        return lambda rho: np.stack(module.solve_batch(rho, p), axis=1)
    return lambda u: module.evolve(u, np.array([p.dt]), p)[:, 0]


def equivariance_error(op: od.Operator, x: torch.Tensor, batch_size: int, device: torch.device) -> float:
    dims = (-2, -1)
    fx = predict(op, x, batch_size, device)
    f_shift = predict(op, torch.roll(x, SHIFT, dims), batch_size, device)
    diff = (f_shift - torch.roll(fx, SHIFT, dims)).flatten(1).norm(dim=1) / fx.flatten(1).norm(dim=1)
    return float(diff.mean())


def fresh_test(op: od.Operator, task: str, p, outputs: list[str], batch_size: int, device: torch.device,
               **changes) -> float:
    """Mean rel. L2 on fresh samples drawn and solved by the physics module with ``changes`` to its settings
    (``n_samples``, ``seed``, and e.g. ``n`` or ``length_scale``)."""
    module = physics.get(task)
    q = dataclasses.replace(p, **changes)
    if physics.problem(task) == "poisson":
        rho = module.charge_density(np.random.default_rng(q.seed), q.n_samples, q)
        solved = dict(zip(od.POISSON_OUTPUTS, module.solve_batch(rho, q)))
        x = torch.from_numpy(rho.astype(np.float32)[:, None])
        true = np.stack([solved[o] for o in outputs], axis=1)
    else:
        u0 = module.initial(q)
        x = torch.from_numpy(u0.astype(np.float32)[:, None])
        true = module.evolve(u0, np.array([q.dt]), q)[:, :1]
    pred = predict(op, x, batch_size, device).double().numpy()
    return float(om.per_field(true, pred).mean())


def rougher(task: str, p) -> dict:
    """The settings of the out-of-distribution test: half the correlation length (Gaussian random fields),
    or half the width of the point charges: more of each sample's energy at high wavenumbers."""
    if physics.problem(task) == "poisson" and p.source == "charges":
        return {"charge_width": p.charge_width / 2}
    return {"length_scale": p.length_scale / 2}


def evaluate(model_path: str | Path, data_path: str | Path, out_dir: str | Path, device: torch.device,
             fingerprint: str = "") -> dict:
    """Write ``prediction.nc`` and ``metrics.json`` of the model at ``model_path`` into ``out_dir``."""
    out_dir = Path(out_dir)
    op, ck, fields, test = load_run(model_path, data_path, device)
    cfg, info = ck["config"], ck["meta"]
    ec = cfg["evaluation"]
    task = cfg["task"]
    steps = rollout_steps(cfg)
    p = physics.params(task, fields.params)
    solver = reference_solver(task, p)
    bs = ec["batch_size"]
    if fields.problem == "poisson":
        x, y = fields.x[test], fields.y[test].double().numpy()
        pred = predict(op, x, bs, device).double().numpy()
        metrics = om.field_metrics(y, pred)
        per_channel = om.per_field(y, pred).mean(axis=0)
        metrics.update({f"rel_l2_mean_{name}": float(v) for name, v in zip(info["outputs"], per_channel)})
        ds = poisson_prediction(test, fields, x.numpy(), y, pred)
        n_in = x
    else:
        u = fields.x[test]
        one = predict(op, u[:, :steps].reshape(-1, 1, *fields.grid), bs, device).reshape(len(test), steps, *fields.grid)
        one_step = om.per_field(u[:, 1:steps + 1].double().numpy(), one.double().numpy())
        metrics = {"one_step_rel_l2": float(one_step.mean())}
        traj = rollout(op, u[:, 0], steps, bs, device).double().numpy()
        true = u[:, :steps + 1].double().numpy()
        per_step = om.per_field(true[:, 1:], traj[:, 1:]).mean(axis=0)  # (steps,)
        metrics.update(om.field_metrics(true[:, -1:], traj[:, -1:]))
        metrics.update(rollout_rel_l2_final=float(per_step[-1]), rollout_rel_l2_mean=float(per_step.mean()))
        ds = heat2d_prediction(test, fields, true, traj, per_step)
        n_in = u[:, 0:1]
    if fields.periodic:
        metrics["equivariance_error"] = equivariance_error(op, n_in, bs, device)
    metrics["d4_equivariance_error"] = symmetry.equivariance_error(lambda z: predict(op, z, bs, device), n_in, (),
                                                                   op.out_vectors)
    fresh = ec["zero_shot_samples"]
    if fresh > 0:
        outs = info["outputs"]
        metrics["ood_rel_l2"] = fresh_test(op, task, p, outs, bs, device, n_samples=fresh, seed=p.seed + 2,
                                           **rougher(task, p))
        if not models.grid_bound(cfg["model"]["architecture"]):
            metrics["zero_shot_rel_l2"] = fresh_test(op, task, p, outs, bs, device, n=2 * p.n, n_samples=fresh,
                                                     seed=p.seed + 1)
    ref_in = n_in[:, 0].double().numpy()
    metrics["infer_samples_per_s"] = samples_per_s(lambda: predict(op, n_in, bs, device), len(test), device)
    metrics["reference_samples_per_s"] = samples_per_s(lambda: solver(ref_in), len(test), device)

    write_dataset(ds, out_dir / "prediction.nc", params=cfg, seed=cfg["seed"], fingerprint=fingerprint)
    result = {"kind": "operator", "problem": task, "model": cfg["arch"], "seed": cfg["seed"],
              "run": run_name(cfg["arch"], cfg["seed"]), "device": str(device),
              "train_seconds": ck.get("train_seconds"),
              "epochs": ck["step"], "best_epoch": ck.get("best_epoch"), "test_samples": len(test),
              "metrics": metrics}
    write_json(out_dir / "metrics.json", result)
    return result


def _coords(fields: od.Fields, test: np.ndarray) -> dict:
    """The test samples' index in the reference file, and the file's own lattice coordinates."""
    return {SAMPLE: (SAMPLE, test, {"units": "1", "long_name": "sample index in the reference file"}),
            X: fields.coords[X], Y: fields.coords[Y]}


def reference_fields(test, fields: od.Fields, true: np.ndarray) -> xr.Dataset:
    """The test samples' true outputs: poisson ``true`` (sample, channel, x, y), one variable per output;
    heat2d ``true`` (sample, t, x, y), the variable ``u`` at the reference's first times."""
    if fields.problem == "poisson":
        coords = _coords(fields, test)
        return xr.Dataset({name: ((SAMPLE, X, Y), true[:, i].astype(np.float32),
                                  {"units": fields.units[name], "long_name": f"{name} (reference)"})
                           for i, name in enumerate(fields.outputs)}, coords=coords)
    coords = {**_coords(fields, test), T: fields.coords[T][:true.shape[1]]}
    return xr.Dataset({"u": ((SAMPLE, T, X, Y), true.astype(np.float32),
                             {"units": fields.units["u"], "long_name": "temperature u (reference)"})}, coords=coords)


def poisson_prediction(test, fields: od.Fields, x: np.ndarray, y: np.ndarray, pred: np.ndarray) -> xr.Dataset:
    truth = reference_fields(test, fields, y)
    v = {"rho": ((SAMPLE, X, Y), x[:, 0], {"units": fields.units["rho"], "long_name": "charge density rho (input)"})}
    for i, name in enumerate(fields.outputs):
        v[name] = truth[name]
        v[f"{name}_pred"] = (truth[name].dims, pred[:, i].astype(np.float32),
                             {"units": fields.units[name], "long_name": f"{name} (predicted)"})
    return xr.Dataset(v, coords=truth.coords)


def heat2d_prediction(test, fields: od.Fields, true: np.ndarray, traj: np.ndarray, per_step: np.ndarray) -> xr.Dataset:
    truth = reference_fields(test, fields, true)
    steps = np.arange(1, len(per_step) + 1)
    return truth.assign(
        u_pred=(truth["u"].dims, traj.astype(np.float32),
                {"units": fields.units["u"], "long_name": "temperature u (rollout from u(0))"}),
        rollout_rel_l2=(STEP, per_step, {"units": "1", "long_name": "rollout rel. L2 error, test mean"}),
    ).assign_coords({STEP: (STEP, steps, {"units": "1", "long_name": "rollout step"})})
