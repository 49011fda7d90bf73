"""Open evolution of large systems: the structured generator integrated as an ODE (paper 1).

The d^2 x d^2 superoperator is never built: :class:`corrtherm.open.generator.LocalGenerator`
applies the generator to the d x d state, and an adaptive Runge-Kutta method integrates it;
the heats Q_X are carried as two extra ODE components.
"""

from __future__ import annotations

import numpy as np

from ..core.trajectory import _entropy_rows, _hermitize, _Ledger
from ._assemble import _finish
from .generator import LocalGenerator
from .heat_split import _cumulative_heat, _heat_rates

#: Save-grid refinement for the entropic heat integral (even).
ENTROPIC_ODE_REFINE = 4


def _evolve_ode(
    model, rho, t, JA, JB, a, store_states, entropic, rtol, atol, progress, blas_threads=None
):
    gen = LocalGenerator(model, JA, JB)
    # the internal-basis model (two dense d x d copies) only where the state-wise ledger needs it
    mi = gen.model if entropic else None
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

    def on_save(i: int, r, QA: float, QB: float) -> None:
        # r: the solver's state (a d x d view or sector blocks), valid during the call only
        k, sub = divmod(i, f)
        if not entropic:
            # the solver keeps rho Hermitian, and these traces and spectra read only its
            # Hermitian part; a dense hermitized copy is made only when full states are stored
            o = gen.observables(r, alpha_A=a)
            U, EV = o["U"], o["E_V"]
            R = _hermitize(gen.dense(r)) if store_states else None
            led.add_global(k, U, EV, EV - o["U_chi"], o["S"], o["rho_A"], o["rho_B"], R)
            JA_t[k], JB_t[k] = gen.currents(r)
            Q[k] = (QA, QB)
            return
        r = _hermitize(gen.dense(r))
        DA, DB = gen.dissipator_A(r), gen.dissipator_B(r)
        qk, p = _heat_rates(r[None], (DA + DB)[None], mi.H)
        q_fine[i] = qk[0]
        if sub:
            return
        q[k] = qk[0]
        led.add(k, r, S=_entropy_rows(p))
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
        stats = gen.propagate(
            gen.to_internal(rho),
            grid,
            rtol=rtol,
            atol=atol,
            on_save=on_save,
            progress=cb,
            blas_threads=blas_threads,
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
    return _finish(model, led, t, JA_t, JB_t, Q, q, entropic, attrs, refined)
