"""Physics-informed training (Raissi, Perdikaris & Karniadakis 2019).

    L = w_ic L_ic + w_bc L_bc + w_pde L_pde (+ w_data L_data for inverse problems)

    L_ic   = mean_i Σ_c (u_c(0, x_i) - u0_c(x_i))²                       initial condition
    L_bc   = Dirichlet: mean Σ_c u_c(t_i, x_b)², x_b ∈ {lo, hi}
             periodic:  mean Σ_c (u_c(t_i, lo) - u_c(t_i, hi))² + (∂_x u_c(t_i, lo) - ∂_x u_c(t_i, hi))²
             (omitted with the exact periodic embedding, where it vanishes identically)
    L_pde  = mean_i Σ_k f_k(t_i, x_i)²   with f = physics.<problem>.residual, derivatives by Taylor mode
    L_data = mean_i Σ_c (u_c(t_i, x_i) - d_ic)²

Collocation points come from :mod:`nnphys.pinn.sampling` (seeded, optionally redrawn every N steps
during first-order phases); optimizers are :class:`~nnphys.pinn.optimizers.Phases`.
Every ``log_every`` steps a history row is recorded (loss terms, wall time; rel. L2 vs the reference every
``eval_every`` steps, NaN otherwise); every ``checkpoint_every`` steps the full state is checkpointed and a
rerun resumes from it, reproducing the uninterrupted run on CPU.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from nnphys.configcheck import ConfigError
from nnphys.models.mlp import MLP
from nnphys.pinn.constraints import TERMS, HardConstraints
from nnphys.pinn.derivatives import jet, named
from nnphys.pinn.inverse import Coefficients, noisy_samples, with_coefficients
from nnphys.pinn.metrics import errors
from nnphys.pinn.optimizers import Phase, Phases
from nnphys.pinn.predict import on_grid
from nnphys.pinn.problems import INPUTS, T_COL, X_COL, Spec, auto_time_scale_refusal
from nnphys.pinn.sampling import log_times, sample
from nnphys.run_names import run_name
from nnphys.training.checkpoint import Checkpointer
from nnphys.training.progress import progress
from nnphys.training.seeding import seed_everything


@dataclass
class Reference:
    """A reference solution on its grid: values (nt, nx, n_outputs); ``identity`` says which file it is
    (:func:`nnphys.io.dataset_identity`, part of the checkpoint key; empty for one made in memory)."""
    t: np.ndarray
    x: np.ndarray
    values: np.ndarray
    identity: dict[str, Any] = field(default_factory=dict)


def build_net(model_cfg: dict[str, Any], spec: Spec) -> MLP:
    periodic = {X_COL: spec.period} if model_cfg.get("periodic_embedding") and spec.boundary == "periodic" else None
    return MLP(spec.lower, spec.upper, len(spec.outputs), width=int(model_cfg["width"]),
               depth=int(model_cfg["depth"]), activation=model_cfg.get("activation", "tanh"), periodic=periodic)


def build_model(run: dict[str, Any], spec: Spec) -> nn.ModuleDict:
    """``{"net": MLP}`` plus ``"unknowns"`` (log-parametrized coefficients) for an inverse run and
    ``"constraints"`` (:class:`HardConstraints`, no parameters) if the run has ``hard_constraints``."""
    model = nn.ModuleDict({"net": build_net(run["model"], spec)})
    inverse = run["training"].get("inverse")
    if inverse:
        model["unknowns"] = Coefficients(dict(inverse["initial"]))
    if run["training"].get("hard_constraints"):
        model["constraints"] = HardConstraints(spec, run["training"]["hard_constraints"])
    return model.to(dtype=getattr(torch, run["model"].get("dtype", "float32")))


class Losses:
    """The loss terms of one problem on one set of points."""

    def __init__(self, spec: Spec, weights: dict[str, float], model: nn.ModuleDict,
                 data: tuple[torch.Tensor, torch.Tensor] | None = None):
        self.spec, self.model, self.data = spec, model, data
        exact_periodic = spec.boundary == "periodic" and bool(model["net"].periodic_cols)
        self.constraints = constraints(model)
        exact = {TERMS[kind] for kind in (self.constraints.kinds if self.constraints is not None else ())}
        if exact_periodic:
            exact.add("bc")
        self.weights = {k: float(w) for k, w in weights.items()
                        if w and k not in exact and not (k == "data" and data is None)}

    def __call__(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        terms = {k: (r ** 2).sum(1).mean() for k, (r, _, _) in self.residuals(batch).items()}
        total = sum(self.weights[k] * v for k, v in terms.items())
        return total, terms

    def residuals(self, batch: dict[str, torch.Tensor], record: bool = False) -> dict[str, tuple]:
        """Per term: (r (n, C), tape, rows): the term is mean_n Σ_C r², ``tape`` the network's layer
        record (if ``record``), ``rows`` maps each network evaluation row to its residual row."""
        net, spec, w = self.model["net"], self.spec, self.weights
        out = {}

        def run(x, first=(), second=()):
            tape = [] if record else None
            out = jet(net, x, first, second, tape)
            return (out if self.constraints is None else self.constraints.apply(x, *out)), tape

        if "ic" in w:
            (u, _, _), tape = run(batch["ic"])
            out["ic"] = (u - batch["ic_values"], tape, None)
        if "bc" in w:
            both = batch["bc"]
            n = both.shape[0] // 2
            if self.spec.boundary == "dirichlet":
                (u, _, _), tape = run(both)
                out["bc"] = (u, tape, None)
            else:
                (u, du, _), tape = run(both, first=(X_COL,))
                ux = du[X_COL]
                rows = torch.arange(2 * n, device=both.device) % n
                out["bc"] = (torch.cat([u[:n] - u[n:], ux[:n] - ux[n:]], 1), tape, rows)
        if "pde" in w:
            jet_, tape = run(batch["pde"], first=(T_COL,), second=(X_COL,))
            fields, derivs = named(spec.outputs, INPUTS, *jet_)
            params = with_coefficients(spec.params, self.model["unknowns"]) if "unknowns" in self.model else None
            out["pde"] = (torch.stack(spec.residual(fields, derivs, params), 1), tape, None)
        if "data" in w:
            x, d = self.data
            (u, _, _), tape = run(x)
            out["data"] = (u - d, tape, None)
        return out


def constraints(model: nn.ModuleDict) -> HardConstraints | None:
    """The model's output transform (hard initial/boundary conditions), or None."""
    return model["constraints"] if "constraints" in model else None


def collocation(spec: Spec, sampling: dict[str, Any], seed: int, block: int, like: torch.Tensor) -> dict:
    """The point set number ``block`` of a run: interior, initial (t = 0) and boundary points."""
    method = sampling.get("method", "lhs")
    (t0, x0), (t1, x1) = spec.lower, spec.upper
    interior = sample(int(sampling["n_pde"]), spec.lower, spec.upper, method, (seed, block, 0))
    xi = sample(int(sampling["n_initial"]), [x0], [x1], method, (seed, block, 1))[:, 0]
    tb = sample(int(sampling["n_boundary"]), [t0], [t1], method, (seed, block, 2))[:, 0]
    scale = time_scale(spec, sampling)
    if scale is not None:
        interior[:, T_COL] = log_times(interior[:, T_COL], t0, t1, scale)
        tb = log_times(tb, t0, t1, scale)
    ic = np.stack([np.full_like(xi, t0), xi], axis=1)
    bc = np.concatenate([np.stack([tb, np.full_like(tb, x0)], 1), np.stack([tb, np.full_like(tb, x1)], 1)])
    as_t = lambda a: torch.as_tensor(a, dtype=like.dtype, device=like.device)  # noqa: E731
    return {"pde": as_t(interior), "ic": as_t(ic), "ic_values": as_t(spec.initial(xi)), "bc": as_t(bc)}


def time_scale(spec: Spec, sampling: dict[str, Any], inverse: bool = False) -> float | None:
    """``sampling.time_scale`` as a number: None (times drawn uniformly), the number given or, for "auto",
    the physics module's ``decay_time(params)`` (heat1d: L² / (k π² n²) of its slowest mode)."""
    value = sampling.get("time_scale")
    if value != "auto":
        return None if value is None else float(value)
    why = auto_time_scale_refusal(spec.name, inverse)
    if why:
        raise ConfigError(f"config key 'sampling.time_scale' of pinn problem {spec.name}: {why}")
    return float(spec.module.decay_time(spec.params))


class History:
    """Rows recorded every ``log_every`` steps, kept as plain lists (stored in checkpoints)."""

    def __init__(self, state: dict | None = None):
        self.columns: dict[str, list[float]] = state["columns"] if state else {}
        self.attrs: dict[str, Any] = state["attrs"] if state else {"iterations": 0}

    def add(self, row: dict[str, float]) -> None:
        n = len(self.columns.get("step", []))
        for k in row.keys() | self.columns.keys():
            self.columns.setdefault(k, [float("nan")] * n).append(float(row.get(k, float("nan"))))

    def last(self, key: str, default: float = 0.0) -> float:
        col = self.columns.get(key)
        return col[-1] if col else default

    def state(self) -> dict:
        return {"columns": self.columns, "attrs": self.attrs}


def train(run: dict[str, Any], spec: Spec, reference: Reference | None, workdir: str | Path,
          device: torch.device, fingerprint: str = "") -> tuple[nn.ModuleDict, Phases, History]:
    """Train the PINN of ``run`` (its config: model, seed, training) for ``spec``; resumable.

    ``reference`` feeds the rel. L2 column of the history and the inverse problem's data.
    The checkpoint lives at ``workdir/checkpoint.pt``; it is resumed only if ``run``, the code
    ``fingerprint`` and the reference's identity are those it was saved with.
    """
    tr, seed = run["training"], int(run["seed"])
    seed_everything(seed)
    model = build_model(run, spec).to(device)
    like = next(model.parameters())
    data = None
    time_scale(spec, tr["sampling"], inverse=bool(tr.get("inverse")))  # a refused 'auto' fails before any file
    if tr.get("inverse"):
        if reference is None:
            raise ValueError("the inverse problem needs the reference solution to draw its data from")
        inv = tr["inverse"]
        pts, vals, _ = noisy_samples(reference.t, reference.x, reference.values, int(inv["samples"]),
                                     float(inv["noise"]), seed)
        data = (torch.as_tensor(pts, dtype=like.dtype, device=device),
                torch.as_tensor(vals, dtype=like.dtype, device=device))
    losses = Losses(spec, tr["weights"], model, data)
    phases = Phases(model.parameters(), tr["phases"])
    log_every, eval_every = int(tr["log_every"]), int(tr["eval_every"])
    ck = Checkpointer(Path(workdir) / "checkpoint.pt", int(tr["checkpoint_every"]), run,
                      {"model": model, "optimizer": phases}, code=fingerprint,
                      reference=reference.identity if reference is not None else None)
    step, state = ck.resume()
    history = History(state)
    sampling, resample = tr["sampling"], int(tr["sampling"].get("resample_every", 0))
    cache: dict[int, dict] = {}  # the current point set, by block: points are redrawn every `resample` steps

    def batch_for(step: int, phase: Phase) -> dict:
        block = (phase.start if phase.keeps_points else step) // resample if resample else 0
        if block not in cache:
            cache.clear()
            cache[block] = collocation(spec, sampling, seed, block, like)
        return cache[block]

    bar = progress(phases.total, f"pinn {spec.name} {run_name(run['model_name'], seed)}", initial=step)
    clock = time.perf_counter()
    offset = history.last("wall_time")
    while step < phases.total:
        phase = phases.at(step)
        n = min(log_every - step % log_every, phase.end - step)  # a chunk ends at a history row or the phase end
        done, stop, terms = phase.advance(losses, batch_for(step, phase), n, step)
        step += done
        history.attrs["iterations"] += done
        elapsed = offset + time.perf_counter() - clock
        row = {"step": step, "wall_time": elapsed, **{f"loss_{k}": v.item() for k, v in terms.items()}}
        if "unknowns" in model:
            row.update({f"{k}_hat": v.item() for k, v in model["unknowns"].values().items()})
        if reference is not None and (step % eval_every == 0 or step >= phases.total or stop):
            pred = on_grid(model["net"], reference.t, reference.x, constraints(model))
            row.update(errors(pred, reference.values, spec.outputs))
        history.add(row)
        bar.update(done)
        if stop or (phase.has_stop_rule and step == phase.end):
            history.attrs["stop"] = stop_message(phase, step, stop)
            print(history.attrs["stop"], file=sys.stderr)
        if stop:  # the rest of the phase is skipped, and the checkpoint says so
            bar.update(phase.end - step)
            step = phase.end
            ck.save(step, history.state())
        ck.maybe_save(step, history.state())
        offset, clock = elapsed, time.perf_counter()
    bar.close()
    return model, phases, history


def stop_message(phase: Phase, step: int, reason: str | None) -> str:
    """Why ``phase`` (one with its own stopping rule) ended at ``step``: ``reason``, or its step budget."""
    if reason is None:
        return f"{phase.kind} stopped at step {step}: max_iter (the phase's {phase.end - phase.start} steps) reached"
    return f"{phase.kind} stopped at step {step} after {step - phase.start} iterations: {reason}"


def history_columns(history: History) -> dict[str, np.ndarray]:
    cols = {k: np.asarray(v) for k, v in history.columns.items()}
    cols.setdefault("rel_l2", np.full(len(cols.get("step", [])), np.nan))
    return cols


def final_state(run: dict, spec: Spec, model: nn.ModuleDict, phases: Phases, history: History,
                device: torch.device) -> dict[str, Any]:
    """The model.pt dict: model state, optimizer state, step, config, plus what evaluation needs."""
    return {"model": model.state_dict(), "optimizer": phases.state_dict(), "step": phases.total, "config": run,
            "problem": spec.name, "physics": dataclasses.asdict(spec.params), "device": str(device),
            "train_seconds": history.last("wall_time"), "iterations": history.attrs["iterations"],
            "stop": history.attrs.get("stop", "")}
