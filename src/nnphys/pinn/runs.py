"""One PINN run, files in and files out (the contract the report reads):

    {out}/model.pt       plain dict: model state, optimizer state, step, config (+ physics, device, timings)
    {out}/history.nc     dim step: loss_total, loss_<term>, rel_l2 (NaN between evaluations), wall_time [s]
                         (nls also rel_l2_complex, the error of h = u + i v)
                         (inverse runs also <coefficient>_hat, e.g. k_hat)
    {out}/prediction.nc  on the reference grid, the reference's variable names and dims
    {out}/metrics.json   {"kind": "pinn", problem, model, seed, run, device, train_seconds, steps, metrics}

Training (:func:`train_run`) and evaluation (:func:`evaluate_run`) are separate, so re-evaluating never
retrains.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
import xarray as xr

from nnphys.io import (STEP, T, X, DataError, dataset_identity, dataset_params, load_checkpoint, require_finite,
                       save_checkpoint, write_dataset, write_json)
from nnphys.pinn import jet_kernels
from nnphys.pinn.inverse import cramer_rao_std, noisy_samples, with_coefficients
from nnphys.pinn.metrics import headline, metrics
from nnphys.pinn.predict import on_grid, residual_on_grid
from nnphys.pinn.problems import PHYSICS, Spec, physics_config, spec
from nnphys.pinn.train import Reference, build_model, constraints, final_state, history_columns, train
from nnphys.run_names import run_name

HISTORY_ATTRS = {
    "loss_total": ("1", "weighted total loss"),
    "rel_l2": ("1", "relative L2 error vs the reference (NaN where not evaluated)"),
    "rel_l2_complex": ("1", "nls: relative L2 error of h = u + i v (NaN where not evaluated)"),
    "wall_time": ("s", "training wall time since the start of the run"),
    "step": ("1", "optimizer step"),
}
FIELD_ATTRS = {"h_abs": ("1", "modulus |h| of the NLS field")}


def reference_vars(problem: str) -> dict[str, tuple[str, str]]:
    """The variables (and their dims) a reference file of ``problem`` must have."""
    names = ("u", "v", "h_abs") if PHYSICS[problem] == "nls" else ("u",)
    return {n: (T, X) for n in names}


def load_reference(ds: xr.Dataset, s: Spec) -> Reference:
    """The fields of ``s`` from a reference dataset; :class:`DataError` if any holds NaN or Inf (before a
    NaN reference could train, score, or feed an inverse problem's data)."""
    require_finite(ds, s.outputs)
    return Reference(ds[T].values, ds[X].values, np.stack([ds[name].values for name in s.outputs], axis=-1),
                     dataset_identity(ds))


def spec_from_reference(problem: str, ds: xr.Dataset) -> Spec:
    """The problem exactly as the reference file was computed (its recorded physics parameters)."""
    return spec(problem, physics_config(dataset_params(ds), problem))


def train_run(problem: str, run: dict[str, Any], reference: xr.Dataset, out: str | Path, device: torch.device,
              fingerprint: str = "") -> Path:
    """Train (resuming from ``out/checkpoint.pt`` if present) and write model.pt and history.nc."""
    out = Path(out)
    s = spec_from_reference(problem, reference)
    if device.type == "cpu" and not jet_kernels.available:
        print("note: the PINN derivatives run on torch operations, ~1.7x slower: nnphys's C kernels were not built "
              "at install (no C compiler?); install gcc and rerun `pip install -e .`", file=sys.stderr)
    model, phases, history = train(run, s, load_reference(reference, s), out, device, fingerprint)
    cols = history_columns(history)
    data = {k: (STEP, v, {"units": _units(k), "long_name": _long_name(k)}) for k, v in cols.items() if k != "step"}
    ds = xr.Dataset(data, coords={STEP: (STEP, cols["step"].astype(np.int64),
                                         {"units": "1", "long_name": "optimizer step"})})
    ds.attrs["iterations"] = int(history.attrs["iterations"])
    if history.attrs.get("stop"):
        ds.attrs["optimizer_stop"] = history.attrs["stop"]
    write_dataset(ds, out / "history.nc", params=run, seed=int(run["seed"]), fingerprint=fingerprint)
    save_checkpoint(out / "model.pt", final_state(run, s, model, phases, history, device))
    (out / "checkpoint.pt").unlink(missing_ok=True)
    print(f"trained {problem} {run_name(run['model_name'], run['seed'])}: {history.attrs['iterations']} iterations, "
          f"{history.last('wall_time'):.1f} s, final loss {history.last('loss_total'):.3e}", file=sys.stderr)
    return out / "model.pt"


def _units(name: str) -> str:
    if name.endswith("_hat"):
        return "1"
    return HISTORY_ATTRS.get(name, ("1",))[0]


def _long_name(name: str) -> str:
    if name in HISTORY_ATTRS:
        return HISTORY_ATTRS[name][1]
    if name.startswith("loss_"):
        return f"loss term {name[5:]} (unweighted)"
    return f"estimate of coefficient {name[:-4]}"


def evaluate_run(model_path: str | Path, reference: xr.Dataset, out: str | Path, device: torch.device,
                 fingerprint: str = "") -> dict[str, Any]:
    """Predict on the reference grid and write prediction.nc and metrics.json next to ``out``."""
    out = Path(out)
    state = load_checkpoint(model_path, required=("model", "config", "problem", "physics"))
    run, problem = state["config"], state["problem"]
    s = spec_from_reference(problem, reference)
    trained_for = json.loads(json.dumps(state["physics"]))
    if trained_for != json.loads(json.dumps(dataclasses.asdict(s.params))):
        raise DataError(f"{model_path}: trained for physics {trained_for}, but the reference file has "
                        f"{dataclasses.asdict(s.params)}; retrain or use the matching reference")
    model = build_model(run, s).to(device)
    model.load_state_dict(state["model"])
    ref = load_reference(reference, s)
    hard = constraints(model)
    pred = on_grid(model["net"], ref.t, ref.x, hard)
    params = with_coefficients(s.params, model["unknowns"]) if "unknowns" in model else None
    res = residual_on_grid(model["net"], s, ref.t, ref.x, params, constraints=hard)
    m = metrics(pred, ref.values, s.outputs, res)
    if "unknowns" in model:
        m.update(_coefficient_metrics(model["unknowns"], s, ref, run))
    _write_prediction(pred, s, reference, out / "prediction.nc", run, fingerprint)
    result = {"kind": "pinn", "problem": problem, "model": run["model_name"], "seed": int(run["seed"]),
              "run": run_name(run["model_name"], run["seed"]), "device": state.get("device", str(device)),
              "train_seconds": float(state.get("train_seconds", float("nan"))),
              "steps": int(state.get("iterations", state["step"])), "metrics": m}
    write_json(out / "metrics.json", result)
    return result


def _coefficient_metrics(unknowns, s: Spec, ref: Reference, run: dict) -> dict[str, float]:
    """Per estimated coefficient c: ``c_hat``, ``c_rel_error`` and, where the physics has a closed form,
    ``c_crlb_rel_std``, the Cramér–Rao bound on the relative standard deviation of any unbiased estimate
    from the run's data (the same points and noise level as training drew; left out where the data say
    nothing about c, the bound being infinite)."""
    inv = run["training"]["inverse"]
    points, _, sigma = noisy_samples(ref.t, ref.x, ref.values, int(inv["samples"]), float(inv["noise"]),
                                     int(run["seed"]))
    out = {}
    for name, value in unknowns.values().items():
        true, estimate = float(getattr(s.params, name)), value.item()
        out[f"{name}_hat"] = estimate
        out[f"{name}_rel_error"] = abs(estimate - true) / abs(true)
        if hasattr(s.module, "exact") and len(s.outputs) == 1:
            bound = cramer_rao_std(s.module, s.params, name, points, float(sigma[0])) / abs(true)
            if np.isfinite(bound):
                out[f"{name}_crlb_rel_std"] = bound
    return out


def _write_prediction(pred: np.ndarray, s: Spec, reference: xr.Dataset, path: Path, run: dict, fingerprint: str):
    fields = {name: pred[..., j] for j, name in enumerate(s.outputs)}
    if s.outputs == ("u", "v"):
        fields["h_abs"] = headline(pred, s.outputs)
    data = {}
    for name, values in fields.items():
        attrs = dict(reference[name].attrs) if name in reference else {}
        units, long_name = FIELD_ATTRS.get(name, ("1", name))
        attrs.setdefault("units", units)
        attrs.setdefault("long_name", long_name)
        data[name] = ((T, X), values, {"units": attrs["units"], "long_name": f"PINN prediction of {attrs['long_name']}"})
    coords = {}
    for c in (T, X):
        attrs = dict(reference[c].attrs)
        attrs.setdefault("units", "1")
        attrs.setdefault("long_name", {"t": "time", "x": "position"}[c])
        coords[c] = (c, reference[c].values, {"units": attrs["units"], "long_name": attrs["long_name"]})
    write_dataset(xr.Dataset(data, coords=coords), path, params=run, seed=int(run["seed"]), fingerprint=fingerprint)
