"""Training loop for neural operators (poisson rho -> phi/E, heat2d u(t) -> u(t + dt)).

Mini-batch AdamW (or SGD with ``momentum``, ``optimizer: sgd``) with a one-cycle, cosine or step
learning-rate schedule stepped per batch, or a constant rate and a batch size multiplied by ``factor`` at the
``milestones`` epochs where a step decay would divide the rate (``schedule: batch_growth``, Smith et al. 2017;
:mod:`nnphys.training.schedules`), the gradient's global norm clipped to ``clip_grad_norm`` (a one-cycle peak
otherwise lets a rare large step throw a deep U-Net off), MSE in normalized units, early stopping on the
validation loss (the best weights are kept), bf16 autocast on CUDA only, a checkpoint every
``checkpoint_every`` epochs that resumes bit for bit on CPU, and a NaN guard. Validation runs the network in
eval mode: dropout (a model option) is off there, as in every evaluation. heat2d may unroll ``unroll`` steps: the
loss then sums the one-step losses along the model's own trajectory, which trains it
against the error growth of its rollout.

``cfg`` is one run's resolved configuration (see ``workflow/schemas/operator.schema.yaml``):
``task``, ``arch`` (the model's name in the config), ``seed``, ``model`` (``architecture`` and
its hyperparameters), ``outputs`` (poisson), ``split``, ``training``, ``evaluation``.
"""

from __future__ import annotations

import contextlib
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import xarray as xr

from nnphys import models
from nnphys.io import STEP, DataError, save_checkpoint, write_dataset
from nnphys.models import symmetry
from nnphys.neural_operator import data as od
from nnphys.physics import problem
from nnphys.run_names import run_name
from nnphys.training.checkpoint import Checkpointer
from nnphys.training.guard import check_finite
from nnphys.training.progress import progress
from nnphys.training.schedules import growing_batches, scheduler, updates
from nnphys.training.seeding import seed_everything


class Best:
    """The best validation loss so far and the weights that reached it (checkpointed with the rest)."""

    def __init__(self, model: torch.nn.Module):
        self.model = model
        self.loss = math.inf
        self.epoch = 0
        self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def update(self, loss: float, epoch: int) -> bool:
        if loss < self.loss:
            self.loss, self.epoch = loss, epoch
            self.state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            return True
        return False

    def state_dict(self) -> dict[str, Any]:
        return {"loss": self.loss, "epoch": self.epoch, "state": self.state}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        self.loss, self.epoch, self.state = d["loss"], d["epoch"], d["state"]


def build_operator(cfg: dict, info: dict, stats: dict) -> od.Operator:
    """The network of ``cfg`` wrapped in its normalization (residual for heat2d)."""
    n_in = len(info["inputs"])
    n_out = len(info["outputs"])
    kw = dict(cfg["model"])
    symmetric = kw.pop("symmetry", "none") == "d4"
    net = models.build(kw.pop("architecture"), n_in, n_out, shape=info["grid"], periodic=info["periodic"], **kw)
    return od.Operator(net, stats, residual=problem(cfg["task"]) == "heat2d", symmetric=symmetric,
                       out_vectors=od.vector_pairs(info["outputs"]))


def meta(fields: od.Fields) -> dict[str, Any]:
    """What evaluation needs to know about the training data, saved in model.pt."""
    return {"inputs": list(fields.inputs), "outputs": list(fields.outputs), "periodic": fields.periodic,
            "grid": list(fields.grid), "n_samples": int(fields.x.shape[0]), "data_params": fields.params,
            "units": fields.units}


def optimizer(params, tc: dict) -> torch.optim.Optimizer:
    """The optimizer of training settings ``tc``: AdamW (decoupled weight decay, β2 = ``beta2``), or SGD with
    ``momentum`` (0: plain SGD; its weight decay is the L2 penalty's gradient).

    AdamW runs fused (one kernel for all parameters): on a CPU torch otherwise loops over them, ~10 ms per step
    for the U-Net's 50 tensors, a seventh of its training time at batch 8.
    """
    if tc["optimizer"] == "sgd":
        return torch.optim.SGD(params, lr=tc["lr"], momentum=tc["momentum"], weight_decay=tc["weight_decay"])
    return torch.optim.AdamW(params, lr=tc["lr"], betas=(0.9, tc["beta2"]), weight_decay=tc["weight_decay"],
                             fused=True)


def batch_sizes(tc: dict, items: int) -> list[int]:
    """The batch size of each epoch: growing at the milestones for ``schedule: batch_growth``, else constant."""
    if tc["schedule"] == "batch_growth":
        return growing_batches(tc["batch_size"], tc["epochs"], tc["milestones"], tc["factor"], items)
    return [tc["batch_size"]] * tc["epochs"]


def lr_scheduler(opt: torch.optim.Optimizer, tc: dict, sizes: list[int], items: int):
    """The learning-rate schedule over every update of the run; None (constant rate) for a growing batch."""
    if tc["schedule"] == "batch_growth":
        return None
    per_epoch = math.ceil(items / tc["batch_size"])
    return scheduler(opt, tc["schedule"], tc["lr"], updates(sizes, items), final_factor=0.0,
                     milestones=[m * per_epoch for m in tc["milestones"]], factor=tc["factor"])


def pairs(fields: od.Fields, idx: np.ndarray, unroll: int) -> torch.Tensor:
    """Training items: poisson sample indices; heat2d (sample, start time) rows with room for ``unroll`` steps."""
    if fields.problem == "poisson":
        return torch.from_numpy(idx).reshape(-1, 1)
    starts = np.arange(fields.x.shape[1] - unroll)
    return torch.from_numpy(np.stack(np.meshgrid(idx, starts, indexing="ij"), -1).reshape(-1, 2))


def loss_fn(op: od.Operator, fields: od.Fields, items: torch.Tensor, unroll: int, device,
            augment: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """(MSE in normalized units, rel. L2 per item) of a batch of items.

    heat2d: the error of each of ``unroll`` steps is divided by the increment's std,
    so ``unroll = 1`` is the normalized one-step MSE. ``augment``: each item seen through a random
    element of the lattice's point group D4 (inputs and targets alike; E as a vector).
    """
    elements = torch.randint(len(symmetry.ELEMENTS), (len(items),)) if augment else None

    def view(a: torch.Tensor, vectors=()) -> torch.Tensor:
        return a if elements is None else symmetry.act_each(elements, a, vectors)

    if fields.problem == "poisson":
        x = view(fields.x[items[:, 0]]).to(device)
        y = view(fields.y[items[:, 0]], op.out_vectors).to(device)
        pred = op.normalized(x).float()
        target = (y - op.out_mean) / op.out_std
        err = pred - target
        rel = (err * op.out_std).flatten(1).norm(dim=1) / y.flatten(1).norm(dim=1)
        return err.pow(2).mean(), rel
    s, t = items[:, 0], items[:, 1]
    u = view(fields.x[s, t].unsqueeze(1)).to(device)
    loss = 0.0
    for k in range(1, unroll + 1):
        u = op(u)
        true = view(fields.x[s, t + k].unsqueeze(1)).to(device)
        err = u - true
        loss = loss + (err / op.out_std).pow(2).mean()
        if k == 1:
            rel = err.flatten(1).norm(dim=1) / true.flatten(1).norm(dim=1)
    return loss / unroll, rel


@torch.no_grad()
def validate(op, fields, items, unroll, batch_size, device, autocast) -> tuple[float, float]:
    """(mean loss, mean rel. L2) over ``items``."""
    op.eval()
    losses, rels = [], []
    for b in torch.split(items, batch_size):
        with autocast():
            loss, rel = loss_fn(op, fields, b, unroll, device)
        losses.append(float(loss) * len(b))
        rels.append(rel.float().cpu())
    op.train()
    return sum(losses) / len(items), float(torch.cat(rels).mean())


def train(cfg: dict, data_path: str | Path, out_dir: str | Path, device: torch.device,
          show_progress: bool = True, fingerprint: str = "") -> dict[str, Any]:
    """Train one run; write ``model.pt`` and ``history.nc`` in ``out_dir``; return a summary."""
    out_dir = Path(out_dir)
    tc = cfg["training"]
    unroll = int(tc.get("unroll", 1)) if problem(cfg["task"]) == "heat2d" else 1
    fields = od.load(cfg["task"], data_path, outputs=cfg.get("outputs", od.POISSON_OUTPUTS), min_steps=unroll + 1)
    sp = cfg["split"]
    splits = od.split(fields.x.shape[0], sp["val"], sp["test"], sp["seed"])
    if tc.get("train_samples"):
        if tc["train_samples"] > len(splits["train"]):
            raise DataError(f"{data_path}: training.train_samples is {tc['train_samples']}, the training split "
                            f"has {len(splits['train'])} samples")
        splits["train"] = splits["train"][:tc["train_samples"]]  # samples are independent draws
    stats = od.normalization(fields, splits["train"])

    seed_everything(cfg["seed"])
    info = meta(fields)
    op = build_operator(cfg, info, stats).to(device)
    opt = optimizer(op.net.parameters(), tc)
    augment = cfg["model"].get("symmetry") == "augment"
    train_items = pairs(fields, splits["train"], unroll)
    val_items = pairs(fields, splits["val"], 1)
    sizes = batch_sizes(tc, len(train_items))
    sched = lr_scheduler(opt, tc, sizes, len(train_items))
    best = Best(op.net)
    state = {"model": op.net, "optimizer": opt, "best": best} | ({"scheduler": sched} if sched is not None else {})
    ck = Checkpointer(out_dir / "checkpoint.pt", tc["checkpoint_every"], cfg, state,
                      code=fingerprint, reference=fields.identity)
    start, history = ck.resume()
    history = history or {k: [] for k in HISTORY_ATTRS}
    autocast = ((lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if device.type == "cuda"
                else contextlib.nullcontext)

    t0 = time.perf_counter() - (history["wall_time"][-1] if history["wall_time"] else 0.0)
    label = f"{cfg['task']} {run_name(cfg['arch'], cfg['seed'])}"
    bar = progress(tc["epochs"], label, initial=start) if show_progress else None
    op.train()
    for epoch in range(start, tc["epochs"]):
        if epoch - best.epoch >= tc["patience"] and epoch > 0:
            break
        order = train_items[torch.randperm(len(train_items))]
        total, done = 0.0, updates(sizes[:epoch], len(train_items))
        for b in torch.split(order, sizes[epoch]):
            with autocast():
                loss, _ = loss_fn(op, fields, b, unroll, device, augment)
            check_finite({"mse": loss}, done)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if tc["clip_grad_norm"]:
                torch.nn.utils.clip_grad_norm_(op.net.parameters(), tc["clip_grad_norm"])
            lr = opt.param_groups[0]["lr"]
            opt.step()
            if sched is not None:
                sched.step()
            total += float(loss.detach()) * len(b)
            done += 1
        loss_val, rel_val = validate(op, fields, val_items, 1, tc["batch_size"], device, autocast)
        check_finite({"validation mse": torch.tensor(loss_val)}, done)
        best.update(loss_val, epoch + 1)
        for k, v in (("loss_train", total / len(train_items)), ("loss_val", loss_val), ("val_rel_l2", rel_val),
                     ("lr", lr), ("batch_size", sizes[epoch]), ("updates", done),
                     ("wall_time", time.perf_counter() - t0)):
            history[k].append(v)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(train=f"{history['loss_train'][-1]:.2e}", val=f"{loss_val:.2e}", rel=f"{rel_val:.2e}")
        ck.maybe_save(epoch + 1, history)
    if bar is not None:
        bar.close()

    op.net.load_state_dict(best.state)
    epochs_run = len(history["loss_train"])
    save_checkpoint(out_dir / "model.pt", {
        "model": op.net.state_dict(), "optimizer": opt.state_dict(), "step": epochs_run, "best_epoch": best.epoch,
        "config": cfg, "normalization": stats, "meta": info, "device": str(device), "fingerprint": fingerprint,
        "train_seconds": history["wall_time"][-1] if history["wall_time"] else 0.0})
    write_history(history, out_dir / "history.nc", cfg, fingerprint)
    ck.remove()
    return {"epochs": epochs_run, "best_epoch": best.epoch, "best_val_loss": best.loss,
            "train_seconds": history["wall_time"][-1] if history["wall_time"] else 0.0}


HISTORY_ATTRS = {
    "loss_train": ("1", "training loss (MSE in normalized units), epoch mean"),
    "loss_val": ("1", "validation loss (MSE in normalized units)"),
    "val_rel_l2": ("1", "validation relative L2 error (one step for heat2d), sample mean"),
    "lr": ("1", "learning rate of the epoch's last update"),
    "batch_size": ("1", "mini-batch size of the epoch"),
    "updates": ("1", "optimizer steps since the start of training"),
    "wall_time": ("s", "cumulative training wall time"),
}


def write_history(history: dict[str, list[float]], path: Path, cfg: dict, fingerprint: str) -> None:
    n = len(history["loss_train"])
    ds = xr.Dataset({k: (STEP, np.asarray(history[k], dtype=float), {"units": u, "long_name": ln})
                     for k, (u, ln) in HISTORY_ATTRS.items()},
                    coords={STEP: (STEP, np.arange(1, n + 1), {"units": "1", "long_name": "epoch"})})
    write_dataset(ds, path, params=cfg, seed=cfg["seed"], fingerprint=fingerprint)
