"""Green's function and saliency of a trained Poisson operator, against the lattice's exact Green's function.

The exact solution operator phi = K rho is linear; on a periodic lattice also shift-invariant. The potential
of a unit point charge at r' (:func:`nnphys.physics.poisson.unit_charges`) is the lattice Green's function,
G(r; r') = K[r, r'] / h^2. The saliency map of phi at r0 (Simonyan et al. 2014), S(r) = d phi(r0) / d rho(r),
is one row of the Jacobian, K[r0, r]; K is symmetric, so S / h^2 = G(r; r0): for the exact operator the
point-charge response at r0 and the scaled saliency at r0 coincide with G. A learned operator f has neither
property by construction: its response f(rho_r0) and its saliency (by autograd, at a test input) are each
compared with G, over the lattice and split into near the source (distance <= ``near`` cells, minimum image
when periodic) and the far field.

Output: a dataset with dims (position, x, y): ``G``, ``response`` and ``saliency`` (S / h^2, in G's units),
the distance from the source in cells (``distance``), and per position the node (``i0``, ``j0``); metrics: rel. L2 of each against G (whole, near, far), per
position and averaged.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import xarray as xr

from nnphys import physics
from nnphys.io import DataError, X, Y, write_dataset, write_json
from nnphys.neural_operator import data as od
from nnphys.neural_operator.evaluate import load_operator
from nnphys.physics import lattice, poisson
from nnphys.run_names import run_name

POSITION = "position"


def nodes_at(fractions: Sequence[Sequence[float]], p: poisson.Params) -> np.ndarray:
    """The lattice node (i, j) nearest each position given as fractions (x / L, y / L) of the box: (m, 2)."""
    x = lattice.coords(p.n, p.length, p.boundary) / p.length
    return np.array([[int(np.abs(x - f).argmin()) for f in pos] for pos in fractions])


def rel_l2(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """||a - b|| / ||b|| over the nodes of ``mask`` (all if None)."""
    if mask is not None:
        a, b = a[mask], b[mask]
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def saliency(op: od.Operator, x: torch.Tensor, channel: int, node: np.ndarray) -> np.ndarray:
    """d f(x)[channel, node] / d x[0]: the Jacobian row of output ``channel`` at ``node``, at input x (1, 1, n, n)."""
    x = x.detach().to(op.in_mean.device).clone().requires_grad_(True)  # a fresh leaf: gradients never add up
    op(x)[0, channel, int(node[0]), int(node[1])].backward()
    return x.grad[0, 0].double().cpu().numpy()


def study(op: od.Operator, fields: od.Fields, test_input: torch.Tensor, fractions: Sequence[Sequence[float]],
          near: float) -> tuple[xr.Dataset, dict]:
    """(dataset, metrics) of ``op`` for unit charges at ``fractions``; saliency at ``test_input`` (1, 1, n, n)."""
    if "phi" not in fields.outputs:
        raise DataError(f"the Green's function study needs phi among the outputs; the model learned "
                        f"{list(fields.outputs)}")
    p = physics.params("poisson", fields.params)
    h = lattice.spacing(p.n, p.length, p.boundary)
    nodes = nodes_at(fractions, p)
    rho = poisson.unit_charges(nodes, p)
    green = poisson.potential(rho, p)
    phi = fields.outputs.index("phi")
    with torch.no_grad():
        response = op(torch.from_numpy(rho.astype(np.float32))[:, None].to(op.in_mean.device))[:, phi]
    response = response.double().cpu().numpy()
    sal = np.stack([saliency(op, test_input, phi, node) for node in nodes]) / h**2
    dist = np.stack([lattice.distance(node, p.n, p.boundary) for node in nodes])
    metrics: dict[str, float] = {}
    for name, value in (("response", response), ("saliency", sal)):
        for region in ("all", "near", "far"):
            per = []
            for k, d in enumerate(dist):
                mask = None if region == "all" else (d <= near) if region == "near" else (d > near)
                per.append(rel_l2(value[k], green[k], mask))
            metrics[f"{name}_rel_l2_{region}"] = float(np.mean(per))
            if region == "all":
                metrics.update({f"{name}_rel_l2_{k}": v for k, v in enumerate(per)})
    dims = (POSITION, X, Y)
    unit = fields.units.get("phi", "1")
    ds = xr.Dataset(
        {"G": (dims, green, {"units": unit, "long_name": "lattice Green's function G (unit point charge)"}),
         "response": (dims, response, {"units": unit, "long_name": "learned response to the unit charge"}),
         "saliency": (dims, sal, {"units": unit, "long_name": "saliency d phi(r0) / d rho / h^2"}),
         "distance": (dims, dist, {"units": "1", "long_name": "distance from the source in lattice cells "
                                                             "(minimum image when periodic)"}),
         "i0": (POSITION, nodes[:, 0], {"units": "1", "long_name": "source node along x"}),
         "j0": (POSITION, nodes[:, 1], {"units": "1", "long_name": "source node along y"})},
        coords={POSITION: (POSITION, np.arange(len(nodes)), {"units": "1", "long_name": "source position"}),
                X: fields.coords[X], Y: fields.coords[Y]},
        attrs={"near_cells": near, "boundary": p.boundary})
    return ds, metrics


def run(model_path: str | Path, data_path: str | Path, out_dir: str | Path, device: torch.device,
        fractions: Sequence[Sequence[float]], near: float, fingerprint: str = "") -> dict:
    """Write ``green.nc`` and ``green.json`` of the Poisson model at ``model_path`` into ``out_dir``."""
    op, ck = load_operator(model_path, device)
    cfg, info = ck["config"], ck["meta"]
    if physics.problem(cfg["task"]) != "poisson":
        raise DataError(f"{model_path}: the Green's function study is for Poisson models, this one learned "
                        f"{cfg['task']}")
    fields = od.load(cfg["task"], data_path, outputs=info["outputs"])
    od.check_grid(fields, info["grid"], data_path)
    test = od.split(fields.x.shape[0], cfg["split"]["val"], cfg["split"]["test"], cfg["split"]["seed"])["test"]
    ds, metrics = study(op, fields, fields.x[test[:1]], fractions, near)
    out_dir = Path(out_dir)
    write_dataset(ds, out_dir / "green.nc", params={"positions": [list(f) for f in fractions], "near": near},
                  seed=cfg["seed"], fingerprint=fingerprint)
    result = {"problem": cfg["task"], "model": cfg["arch"], "run": run_name(cfg["arch"], cfg["seed"]),
              "saliency_input": int(test[0]), "metrics": metrics}
    write_json(out_dir / "green.json", result)
    return result
