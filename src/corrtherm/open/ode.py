"""Open evolution of large systems: the structured generator integrated as an ODE (paper 1).

The d^2 x d^2 superoperator is never built: :class:`corrtherm.open.generator.LocalGenerator`
applies the generator to the d x d state, and an adaptive Runge-Kutta method integrates it;
the heats Q_X are carried as two extra ODE components.
"""

from __future__ import annotations

import numpy as np

from ..core._threads import blas_threads as blas_threads_limit
from ..core.information import entropy_rows
from ..core.trajectory import _hermitize, _Ledger
from ._assemble import _finish
from .full_generator import open_generator
from .heat_split import _cumulative_heat, _heat_rates

#: Save-grid refinement for the entropic heat integral (even).
ENTROPIC_ODE_REFINE = 4


def _dense(gen, r) -> np.ndarray:
    """The d x d internal-basis matrix of a solver state (LocalGenerator may pass sector
    blocks; other generators pass d x d arrays)."""
    return gen.dense(r) if hasattr(gen, "dense") else r


def _evolve_ode(
    model,
    inputs,
    t,
    a,
    store_states,
    entropic,
    rtol,
    atol,
    progress,
    production=None,
    *,
    blas_threads=None,
):
    """``inputs``: the list [rho0, JA, JB] with JA, JB local jump stacks (LocalGenerator) or any
    baths (FullGenerator); it is emptied here, so that once the generator and the initial state
    are built nothing keeps these d x d arrays alive during the solve.
    ``production``: a :class:`~corrtherm.open.entropy_production.ProductionLedger` or None;
    ``blas_threads``: see :mod:`corrtherm.core._threads`."""
    rho, JA, JB = inputs
    inputs.clear()
    with blas_threads_limit(blas_threads):  # set-up work suffers from busy-waiting too
        gen = open_generator(model, JA, JB)
    del JA, JB
    # the internal-basis model (dense d x d H and V) only where a state-wise ledger needs it
    mi = gen.model if (entropic or production is not None) else None
    if production is not None:
        production.model = mi  # states arrive in the generator's internal basis
    H_T = mi.H.T if entropic else None
    n = t.size
    # the ledger runs in the internal basis; only the marginals are rotated back
    led = _Ledger(
        model,
        n,
        alpha_A=a,
        store_states=store_states,
        internal=(mi, gen.W_A, gen.W_B),  # mi = None: only add_global is used
        spectrum=gen.spectrum,
    )
    JA_t, JB_t, Q, q = np.zeros(n), np.zeros(n), np.zeros((n, 2)), np.zeros(n)
    # the entropic heat rate is integrated on a save grid refined f-fold (dense output of the
    # solver: no extra steps), so that Simpson has a finer grid and a 2h level for its error
    f = ENTROPIC_ODE_REFINE if entropic and n > 1 else 1
    grid = t
    if f > 1:
        grid = np.append((t[:-1, None] + np.outer(np.diff(t), np.arange(f) / f)).ravel(), t[-1])
    q_fine = np.zeros(grid.size)

    heat: list = []

    def currents(r) -> tuple[float, float]:
        """J_X = Tr[h_X rho], h_X = L#_X[H] (the generator's own, else a d^2 dot product)."""
        if hasattr(gen, "currents"):
            return gen.currents(r)
        if not heat:
            heat.extend(np.ascontiguousarray(h.T) for h in gen.heat_operators())
        return tuple(float(np.einsum("ij,ij->", r, hT).real) for hT in heat)

    def on_save(i: int, r, QA: float, QB: float) -> None:
        # r: the solver's state (d x d, or sector blocks), valid during the call only
        k, sub = divmod(i, f)
        if not entropic:
            # the solver keeps rho Hermitian, and these traces and spectra read only its
            # Hermitian part; a dense hermitized copy is made only when it is needed
            o = gen.observables(r, alpha_A=a)
            U, EV = o["U"], o["E_V"]
            # one dense Hermitian copy serves the stored state and the entropy production
            R = _hermitize(_dense(gen, r)) if store_states or production is not None else None
            kept = R if store_states else None
            led.add_global(k, U, EV, EV - o["U_chi"], o["S"], o["rho_A"], o["rho_B"], kept)
            JA_t[k], JB_t[k] = currents(r)
            Q[k] = (QA, QB)
            if production is not None:
                production.add(k, R, gen.dissipator_A(R), gen.dissipator_B(R))
            return
        r = _hermitize(_dense(gen, r))
        DA, DB = gen.dissipator_A(r), gen.dissipator_B(r)
        eig = np.linalg.eigh(r[None])  # one eigendecomposition for the split and sigma
        qk, p = _heat_rates(r[None], (DA + DB)[None], mi.H, eig)
        q_fine[i] = qk[0]
        if sub:
            return
        q[k] = qk[0]
        led.add(k, r, S=entropy_rows(p))
        if production is not None:
            production.add(k, r, DA, DB, eig)
        # Tr[H X] = sum_ij H_ji X_ij
        JA_t[k] = float(np.sum(H_T * DA).real)
        JB_t[k] = float(np.sum(H_T * DB).real)
        Q[k] = (QA, QB)

    bar = cb = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=1000, desc="evolve", unit="permille")

        def cb(frac: float) -> None:
            bar.update(int(1000 * frac) - bar.n)

    try:
        if hasattr(gen, "sector_operator"):  # LocalGenerator: its own thread limit
            # the d x d internal-basis rho0 lives only until its sector blocks are taken
            with blas_threads_limit(blas_threads):
                state0 = gen.initial_state(gen.to_internal(rho))
            del rho
            stats = gen.propagate(
                state0,
                grid,
                rtol=rtol,
                atol=atol,
                on_save=on_save,
                progress=cb,
                blas_threads=blas_threads,
            )
        else:
            rho_int = gen.to_internal(rho)
            del rho
            with blas_threads_limit(blas_threads):
                stats = gen.propagate(
                    rho_int, grid, rtol=rtol, atol=atol, on_save=on_save, progress=cb
                )
    finally:
        if bar is not None:
            bar.close()
    attrs = {
        "method": f"ode-{stats.get('method', '?')}",
        "n_rhs": int(stats.get("n_rhs", 0)),
        "n_steps": int(stats.get("n_steps", 0)),
        "storage": str(stats.get("storage", "dense")),
        "rtol": rtol,
        "atol": atol,
    }
    refined = None
    if f > 1:
        fine = _cumulative_heat(grid, q_fine)[0][::f]
        half = _cumulative_heat(grid[::2], q_fine[::2])[0][:: f // 2]
        refined = (fine, float(np.max(np.abs(fine - half))), f)
    ds = _finish(model, led, t, JA_t, JB_t, Q, q, entropic, attrs, refined)
    return ds if production is None else production.finish(ds)
