"""The correlation-resolved energy ledger along a trajectory (paper 1, Eqs. 3, 5-8).

Every solver, open or isolated, hands its states at the save times to ONE accumulator,
:class:`_Ledger` (batched over time for small d, one state at a time for large d), so that all
trajectory datasets carry the same variables with the same definitions:
U = U_A + U_B + U_chi with the effective local Hamiltonians, bare local energies, entropies and
the mutual information. :func:`trajectory_ledger` is its public face for user-supplied states.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr

from ._validate import describe_value, finite_real, to_array
from .errors import DynamicsError, ModelError
from .information import entropy_from_eigenvalues, entropy_rows
from .limits import COMPLEX_BYTES, require_memory
from .metadata import annotate
from .model import Bipartite

__all__ = ["trajectory_ledger"]

#: Complex entries per batch of stacked states: bounds ledger memory (~64 MB) independently of
#: the number of time points, while small systems are still processed in one vectorized block.
BATCH_ENTRIES = 2**22


def ledger_bytes(n: int, d_A: int, d_B: int, store_states: bool) -> int:
    """Bytes the ledger of ``n`` save times holds: marginals rho_A, rho_B, ~16 float columns,
    and with ``store_states`` every d x d state (d = d_A d_B)."""
    per_time = COMPLEX_BYTES * (d_A * d_A + d_B * d_B) + 16 * 8
    if store_states:
        per_time += COMPLEX_BYTES * (d_A * d_B) ** 2
    return int(n) * per_time


def _check_model(model: Any) -> Bipartite:
    if not isinstance(model, Bipartite):
        raise ModelError(f"model: got {type(model).__name__}; expected a corrtherm.Bipartite")
    return model


def _check_times(times: Any) -> np.ndarray:
    try:
        raw = np.asarray(times)
        if raw.dtype.kind not in "iuf":
            raise TypeError
        t = np.asarray(raw, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise DynamicsError(
            f"times: got {describe_value(times)}; expected a 1-D array of real numbers"
        ) from None
    if raw.ndim > 1:
        # flattening [[0, 1], [2, 3]] into four save times would be a guess
        raise DynamicsError(f"times: has shape {raw.shape}; expected a 1-D array of real numbers")
    if t.size == 0:
        raise DynamicsError("times: is empty; expected at least one time point")
    if not np.all(np.isfinite(t)):
        raise DynamicsError("times: contains NaN or infinite values; expected finite times")
    if t.size > 1 and not np.all(np.diff(t) > 0):
        k = int(np.flatnonzero(np.diff(t) <= 0)[0])
        raise DynamicsError(
            f"times: not strictly increasing (times[{k}] = {float(t[k])!r} >= times[{k + 1}] = "
            f"{float(t[k + 1])!r}); expected strictly increasing save times"
        )
    return t


#: Largest (t - t0) ||H||: beyond it the phases exp(-i E t) are below double-precision
#: resolution (their round-off error eps * E t exceeds ~0.1 rad), so the state is noise.
MAX_PHASE = 1e15


def hamiltonian_norm(model: Bipartite) -> float:
    """||H||_F of H = H_A (x) 1 + 1 (x) H_B + V without forming H (which the model would cache:
    four d x d arrays, 1 GB at d = 4096). With Hilbert-Schmidt products of Hermitian operators,
    ||H||^2 = d_B ||H_A||^2 + d_A ||H_B||^2 + ||V||^2 + 2 Tr H_A Tr H_B
    + 2 Tr[H_A Tr_B V] + 2 Tr[H_B Tr_A V]."""
    dA, dB = model.dims
    HA, HB, V = model.H_A, model.H_B, model.V
    V4 = V.reshape(dA, dB, dA, dB)
    VA, VB = np.einsum("abcb->ac", V4), np.einsum("abad->bd", V4)
    sq = (
        dB * np.vdot(HA, HA).real
        + dA * np.vdot(HB, HB).real
        + np.vdot(V, V).real
        + 2 * (np.trace(HA) * np.trace(HB)).real
        + 2 * np.vdot(HA.conj().T, VA).real
        + 2 * np.vdot(HB.conj().T, VB).real
    )
    return float(np.sqrt(max(sq, 0.0)))


def _check_time_span(t: np.ndarray, model: Bipartite) -> None:
    """Refuse save times so late that no digit of the evolved state would be meaningful."""
    span = float(t[-1] - t[0])
    # ||H||_F >= the spectral radius: a cheap (O(d^2)), conservative energy scale
    scale = max(1.0, hamiltonian_norm(model))
    if span * scale > MAX_PHASE:
        raise DynamicsError(
            f"times: a time span of {span:.3g} with the energy scale ||H|| = {scale:.3g} gives "
            f"phases E t up to {span * scale:.3g} rad, beyond double precision; expected "
            f"(t_final - t0) ||H|| <= {MAX_PHASE:g} (shorten the time span)"
        )


def _check_alpha(alpha_A: float) -> float:
    return finite_real(alpha_A, "alpha_A")


def _hermitize(R: np.ndarray) -> np.ndarray:
    return 0.5 * (R + np.conj(np.swapaxes(R, -1, -2)))


class _Ledger:
    """Accumulates the ledger at save times, given states in batches or one at a time.

    ``internal = (model_int, W_A, W_B)`` means the states arrive in a rotated basis
    rho_int = W^dag rho W with W = W_A (x) W_B. Partial traces commute with local unitaries and
    traces/entropies are invariant, so global quantities are computed with ``model_int`` and
    only the small marginals are rotated back; local quantities use the original model.
    ``entropy_constant`` skips the d x d diagonalization when S is known to be constant
    (unitary evolution), the dominant cost for large d.
    """

    def __init__(
        self,
        model: Bipartite,
        n: int,
        *,
        alpha_A: float,
        store_states: bool,
        internal: tuple[Bipartite, np.ndarray, np.ndarray] | None = None,
        entropy_constant: float | None = None,
        spectrum: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        self.model, self.n, self.alpha_A = model, n, alpha_A
        self.internal = internal
        self.S_const = entropy_constant
        # eigenvalues of one full state; the structured solver's block-wise spectrum is exact
        # (within 1e-12) and far cheaper than a dense eigvalsh at large d
        self.spectrum = spectrum
        # vec(H^T), vec(V^T) for batched traces, built on the first state-wise ``add`` (a
        # caller recording only ``add_global`` never pays for two dense d x d copies)
        self._HT: np.ndarray | None = None
        self._VT: np.ndarray | None = None
        dA, dB = model.dims
        d = model.d
        require_memory(
            ledger_bytes(n, dA, dB, store_states),
            f"the trajectory ({n} save times, d = {d}"
            + (", store_states: every state kept)" if store_states else ")"),
            "save fewer times (time.n_points)"
            + (" or turn off store_states" if store_states else ""),
        )
        self.cols = {k: np.zeros(n) for k in ("U", "E_A", "E_B", "E_V", "v", "S", "S_A", "S_B")}
        if model.has_numbers:
            self.cols["N_A"] = np.zeros(n)
            self.cols["N_B"] = np.zeros(n)
        self.rho_A = np.zeros((n, dA, dA), dtype=complex)
        self.rho_B = np.zeros((n, dB, dB), dtype=complex)
        self.rho = np.zeros((n, d, d), dtype=complex) if store_states else None
        self.filled = np.zeros(n, dtype=bool)

    def add(self, idx: int | slice, R: np.ndarray, S: np.ndarray | None = None) -> None:
        """Record the state(s) R (shape (d, d) or (k, d, d)) at save index/slice ``idx``.

        ``S``: entropies of the states when the caller already diagonalized them.
        """
        R = np.asarray(R)
        single = R.ndim == 2
        if single:
            R = R[None]
            idx = slice(idx, idx + 1)
        m = self.internal[0] if self.internal is not None else self.model
        if self._HT is None:
            self._HT = np.ascontiguousarray(m.H.T).ravel()
            self._VT = np.ascontiguousarray(m.V.T).ravel()
        dA, dB = m.dims
        k = R.shape[0]
        R4 = R.reshape(k, dA, dB, dA, dB)
        rA = np.einsum("tabcb->tac", R4)
        rB = np.einsum("tabad->tbd", R4)
        c = self.cols
        # Tr[rho X] = sum_ij rho_ij X_ji: a matrix-vector product with vec(X^T), no temporaries
        Rf = R.reshape(k, -1)
        c["U"][idx] = (Rf @ self._HT).real
        c["E_V"][idx] = (Rf @ self._VT).real
        # v = Tr[V (rho_A (x) rho_B)], computed in the basis of the states
        V4 = m.V.reshape(dA, dB, dA, dB)
        c["v"][idx] = np.einsum("abcd,tca,tdb->t", V4, rA, rB, optimize=True).real
        if S is not None:
            c["S"][idx] = S
        elif self.S_const is not None:
            c["S"][idx] = self.S_const
        elif self.spectrum is not None:
            c["S"][idx] = [entropy_from_eigenvalues(self.spectrum(r)) for r in R]
        else:
            c["S"][idx] = entropy_rows(np.linalg.eigvalsh(R))
        self._add_local(idx, rA, rB, R)

    def add_global(
        self,
        idx: int,
        U: float,
        E_V: float,
        v: float,
        S: float,
        rA: np.ndarray,
        rB: np.ndarray,
        R: np.ndarray | None = None,
    ) -> None:
        """Record one save whose global quantities were computed by the caller (the structured
        generator's Schmidt-form ledger); marginals ``rA``, ``rB`` in the ledger's basis."""
        c = self.cols
        c["U"][idx], c["E_V"][idx], c["v"][idx], c["S"][idx] = U, E_V, v, S
        sl = slice(idx, idx + 1)
        self._add_local(sl, rA[None], rB[None], None if R is None else R[None])

    def _add_local(self, idx, rA: np.ndarray, rB: np.ndarray, R: np.ndarray | None) -> None:
        c = self.cols
        if self.internal is not None:
            _, WA, WB = self.internal
            rA = WA @ rA @ WA.conj().T
            rB = WB @ rB @ WB.conj().T
        rA, rB = _hermitize(rA), _hermitize(rB)
        mo = self.model
        c["E_A"][idx] = np.einsum("tij,ji->t", rA, mo.H_A).real
        c["E_B"][idx] = np.einsum("tij,ji->t", rB, mo.H_B).real
        c["S_A"][idx] = entropy_rows(np.linalg.eigvalsh(rA))
        c["S_B"][idx] = entropy_rows(np.linalg.eigvalsh(rB))
        if mo.has_numbers:
            c["N_A"][idx] = np.einsum("tij,ji->t", rA, mo.N_A).real
            c["N_B"][idx] = np.einsum("tij,ji->t", rB, mo.N_B).real
        self.rho_A[idx] = rA
        self.rho_B[idx] = rB
        if self.rho is not None and R is not None:
            if self.internal is not None:
                W = np.kron(self.internal[1], self.internal[2])
                R = W @ R @ W.conj().T
            self.rho[idx] = R
        self.filled[idx] = True

    def dataset(self, times: np.ndarray, kind: str, attrs: dict | None = None) -> xr.Dataset:
        if not np.all(self.filled):
            missing = int(np.count_nonzero(~self.filled))
            raise DynamicsError(f"internal: {missing} save times were never filled by the solver")
        _require_finite(self.cols, times)
        c, a = self.cols, self.alpha_A
        # U_A = Tr[rho_A H^_A] = Tr[rho_A H_A] + (1 - alpha_A) v, because Tr[rho_A Tr_B[V rho_B]]
        # = v (Eq. 5); likewise U_B. U_chi = Tr[chi V] = Tr[rho V] - v (Eq. 8).
        U_A = c["E_A"] + (1.0 - a) * c["v"]
        U_B = c["E_B"] + a * c["v"]
        U_chi = c["E_V"] - c["v"]
        I_AB = np.maximum(0.0, c["S_A"] + c["S_B"] - c["S"])
        var = {
            "U": c["U"],
            "U_A": U_A,
            "U_B": U_B,
            "U_chi": U_chi,
            "E_A": c["E_A"],
            "E_B": c["E_B"],
            "E_V": c["E_V"],
            "S": c["S"],
            "S_A": c["S_A"],
            "S_B": c["S_B"],
            "I_AB": I_AB,
        }
        if "N_A" in c:
            var["N_A"], var["N_B"] = c["N_A"], c["N_B"]
        data = {k: ("time", v) for k, v in var.items()}
        data["rho_A"] = (("time", "a", "a2"), self.rho_A)
        data["rho_B"] = (("time", "b", "b2"), self.rho_B)
        if self.rho is not None:
            data["rho"] = (("time", "i", "j"), self.rho)
        residual = float(np.max(np.abs(c["U"] - U_A - U_B - U_chi)))
        out_attrs = {
            "kind": kind,
            "alpha_A": a,
            "dims": list(self.model.dims),
            "residual_ledger": residual,
        }
        out_attrs.update(attrs or {})
        ds = xr.Dataset(data, coords={"time": times}, attrs=out_attrs)
        return annotate(ds)


def _require_finite(cols: dict[str, np.ndarray], times: np.ndarray) -> None:
    """No silent NaN: a trajectory whose ledger is not finite is an error, not a result."""
    for name, v in cols.items():
        bad = ~np.isfinite(v)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise DynamicsError(
                f"trajectory: {name} is {v[k]} at t = {times[k]:.6g}; the evolution lost all "
                "precision (rates, energies or times too large for double precision; rescale "
                "the units or shorten the time span)"
            )


def _batch_size(d: int) -> int:
    return max(1, BATCH_ENTRIES // (d * d))


def trajectory_ledger(
    model: Bipartite,
    states: Any,
    times: Any,
    *,
    alpha_A: float = 0.5,
    store_states: bool = False,
    kind: str = "isolated",
    attrs: dict | None = None,
) -> xr.Dataset:
    """Correlation-resolved energy ledger of a sequence of states (paper 1, Eqs. 3, 5-8).

    ``states`` is an array of shape (n_times, d, d) (processed in vectorized batches of bounded
    memory) or any iterable yielding n_times (d, d) states (processed one at a time, so memory
    does not grow with the number of time points). Returns a Dataset over ``time`` with

    - U = Tr[rho H], U_A = Tr[rho_A H^_A], U_B = Tr[rho_B H^_B], U_chi = Tr[chi V] with the
      effective Hamiltonians H^_A = H_A + Tr_B[V rho_B] - alpha_A v I (Eq. 5),
      v = Tr[V rho_A (x) rho_B], so U_A = E_A + (1 - alpha_A) v, U_B = E_B + alpha_A v;
    - E_A = Tr[rho_A H_A], E_B = Tr[rho_B H_B] (bare), E_V = Tr[rho V];
    - S, S_A, S_B (nats) and I_AB = S_A + S_B - S; N_A, N_B when the model has numbers;
    - rho_A (time, a, a2), rho_B (time, b, b2) always, rho (time, i, j) with ``store_states``.

    attrs: kind, alpha_A, dims, residual_ledger = max_t |U - U_A - U_B - U_chi| plus ``attrs``.
    The states are not validated one by one (this is the hot path of every solver).
    """
    model = _check_model(model)
    a = _check_alpha(alpha_A)
    t = _check_times(times)
    d = model.d
    led = _Ledger(model, t.size, alpha_A=a, store_states=store_states)
    if states is None or isinstance(states, str | bytes | int | float | complex):
        raise DynamicsError(
            f"states: got {type(states).__name__}; expected an array of shape (len(times), d, d) "
            "or an iterable of d x d states"
        )
    if isinstance(states, np.ndarray) or hasattr(states, "full"):
        arr = to_array(states, "states") if not isinstance(states, np.ndarray) else states
        if arr.shape != (t.size, d, d):
            raise DynamicsError(
                f"states: has shape {arr.shape}; expected ({t.size}, {d}, {d}) = (len(times), d, d)"
            )
        step = _batch_size(d)
        for s in range(0, t.size, step):
            led.add(slice(s, min(s + step, t.size)), arr[s : s + step])
    else:
        count = 0
        try:
            items = iter(states)
        except TypeError:
            raise DynamicsError(
                f"states: got {type(states).__name__}; expected an array or iterable of states"
            ) from None
        for i, rho in enumerate(items):
            if i >= t.size:
                raise DynamicsError(f"states: yields more than len(times) = {t.size} states")
            r = to_array(rho, f"states[{i}]")
            if r.shape != (d, d):
                raise DynamicsError(f"states[{i}]: has shape {r.shape}; expected ({d}, {d})")
            led.add(i, r)
            count += 1
        if count != t.size:
            raise DynamicsError(f"states: yielded {count} states; expected len(times) = {t.size}")
    return led.dataset(t, kind, attrs)
