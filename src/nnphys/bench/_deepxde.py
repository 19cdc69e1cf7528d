"""DeepXDE 1.15 versions of the two PINN benchmark measurements (its documented heat and NLS examples)."""

from __future__ import annotations

import time

import numpy as np

from nnphys.evaluation.time_to_accuracy import seconds_to
from nnphys.norms import rel_l2


def heat(dde, reference, bars, adam_steps: int = 12000, chunk: int = 250) -> dict:
    """DeepXDE's heat example: Adam (lr 1e-3) in chunks with the error measured between chunks, then L-BFGS;
    the seconds to each of the error ``bars``.

    ``reference`` is (Params, Reference) on the 201 × 201 grid; inputs are DeepXDE's (x, t) columns.
    """
    p, ref = reference
    geomtime = dde.geometry.GeometryXTime(dde.geometry.Interval(0, p.length), dde.geometry.TimeDomain(0, p.t_end))

    def pde(x, y):
        return dde.grad.jacobian(y, x, i=0, j=1) - p.k * dde.grad.hessian(y, x, i=0, j=0)

    bc = dde.icbc.DirichletBC(geomtime, lambda x: 0, lambda _, on_boundary: on_boundary)
    ic = dde.icbc.IC(geomtime, lambda x: np.sin(np.pi * x[:, 0:1] / p.length), lambda _, on_initial: on_initial)
    data = dde.data.TimePDE(geomtime, pde, [bc, ic], num_domain=2540, num_boundary=80, num_initial=160,
                            num_test=2540)
    model = dde.Model(data, dde.nn.FNN([2] + [20] * 3 + [1], "tanh", "Glorot normal"))
    tt, xx = np.meshgrid(ref.t, ref.x, indexing="ij")
    grid = np.stack([xx.ravel(), tt.ravel()], axis=1)
    exact = ref.values[..., 0].ravel()

    def error():
        return float(rel_l2(exact, model.predict(grid)[:, 0]))

    wall, errs = [], []
    elapsed = 0.0
    model.compile("adam", lr=1e-3)
    for _ in range(adam_steps // chunk):
        t0 = time.perf_counter()
        model.train(iterations=chunk, display_every=10 * adam_steps, verbose=0)
        elapsed += time.perf_counter() - t0
        wall.append(elapsed)
        errs.append(error())
    adam_step_s = elapsed / adam_steps
    model.compile("L-BFGS")
    t0 = time.perf_counter()
    model.train(display_every=10**6, verbose=0)
    elapsed += time.perf_counter() - t0
    wall.append(elapsed)
    errs.append(error())
    return {"seconds_to": seconds_to(wall, errs, bars), "final_rel_l2": errs[-1], "train_seconds": wall[-1],
            "heat_adam_step_s": adam_step_s, "error_every_steps": chunk}


def nls_model(dde, num_domain: int = 20000):
    """DeepXDE's Schrödinger example (Raissi's network 4 × 100 tanh, soft periodic BCs), N_0 = N_b = 50."""
    geomtime = dde.geometry.GeometryXTime(dde.geometry.Interval(-5, 5), dde.geometry.TimeDomain(0, np.pi / 2))

    def pde(x, y):
        u, v = y[:, 0:1], y[:, 1:2]
        u_t = dde.grad.jacobian(y, x, i=0, j=1)
        v_t = dde.grad.jacobian(y, x, i=1, j=1)
        u_xx = dde.grad.hessian(y, x, component=0, i=0, j=0)
        v_xx = dde.grad.hessian(y, x, component=1, i=0, j=0)
        m = u ** 2 + v ** 2
        return [u_t + 0.5 * v_xx + m * v, v_t - 0.5 * u_xx - m * u]

    def boundary(x, on_boundary):
        return on_boundary

    bcs = [dde.icbc.PeriodicBC(geomtime, 0, boundary, derivative_order=d, component=c) for c in (0, 1) for d in (0, 1)]
    ics = [dde.icbc.IC(geomtime, lambda x: 2 / np.cosh(x[:, 0:1]), lambda _, on_initial: on_initial, component=0),
           dde.icbc.IC(geomtime, lambda x: 0 * x[:, 0:1], lambda _, on_initial: on_initial, component=1)]
    data = dde.data.TimePDE(geomtime, pde, bcs + ics, num_domain=num_domain, num_boundary=50, num_initial=50,
                            train_distribution="pseudo")
    return dde.Model(data, dde.nn.FNN([2] + [100] * 4 + [2], "tanh", "Glorot normal"))


def nls_step(dde, steps: int = 5) -> float:
    """Seconds per Adam step of DeepXDE's Schrödinger example at Raissi's sizes (N_f = 20000): the time of a
    ``Model.train`` call of 2 ``steps`` iterations less that of one of ``steps``, over ``steps``. Every call
    also evaluates the losses on all points twice (before and after its steps: ~0.5 s on a 2-core machine),
    which a long run pays once per ``display_every`` steps; the difference leaves it out."""
    model = nls_model(dde)
    model.compile("adam", lr=1e-3)
    model.train(iterations=1, display_every=10**6, verbose=0)
    seconds = []
    for n in (steps, 2 * steps):
        t0 = time.perf_counter()
        model.train(iterations=n, display_every=10**6, verbose=0)
        seconds.append(time.perf_counter() - t0)
    return (seconds[1] - seconds[0]) / steps


def nls_accuracy(dde, reference, bars, num_domain: int, budget_s: float, chunk: int = 250) -> dict:
    """DeepXDE's Schrödinger recipe within a training-time budget: Adam (lr 1e-3) for the first half of
    ``budget_s``, then L-BFGS for the rest, in chunks of ``chunk`` iterations with the rel. L2 error of |h|
    on the reference grid measured between chunks (not timed); the seconds to each of the error ``bars``.

    ``reference`` is a :class:`~nnphys.pinn.train.Reference` of (u, v) on its (t, x) grid."""
    model = nls_model(dde, num_domain)
    tt, xx = np.meshgrid(reference.t, reference.x, indexing="ij")
    grid = np.stack([xx.ravel(), tt.ravel()], axis=1)
    exact = np.hypot(reference.values[..., 0], reference.values[..., 1]).ravel()
    exact_h = reference.values.reshape(-1, 2)

    def errors():
        pred = model.predict(grid)
        return float(rel_l2(exact, np.hypot(pred[:, 0], pred[:, 1]))), float(rel_l2(exact_h, pred))

    wall, errs, errs_h, elapsed, steps = [], [], [], 0.0, {}
    for optimizer, until in (("adam", budget_s / 2), ("L-BFGS", budget_s)):
        before = model.train_state.step
        if optimizer == "adam":
            model.compile("adam", lr=1e-3)
        else:
            dde.optimizers.set_LBFGS_options(maxiter=chunk)
            model.compile("L-BFGS")
        while elapsed < until:
            t0 = time.perf_counter()
            model.train(iterations=chunk, display_every=10**6, verbose=0)
            elapsed += time.perf_counter() - t0
            wall.append(elapsed)
            e, eh = errors()
            errs.append(e)
            errs_h.append(eh)
        steps[optimizer] = int(model.train_state.step - before)
    return {"seconds_to": seconds_to(wall, errs, bars), "final_rel_l2": errs[-1], "final_rel_l2_complex": errs_h[-1],
            "train_seconds": wall[-1], "steps": steps,
            "setup": f"DeepXDE's Schrödinger example, 4x100 tanh, float32, N_f = {num_domain}, Adam (lr 1e-3) for "
                     f"half the {budget_s:g} s budget then L-BFGS"}
