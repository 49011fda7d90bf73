"""Exact open dynamics of a Gaussian state with local baths: dG/dt = X G + G X^dag + P.

(:mod:`corrtherm.gaussian.baths` derives the equation; G = C^T.) Its solution is exact at any
time without time stepping when X = R diag(lam) R^-1 is well conditioned:

    G(t) = R [E(t) o Y + phi(t) o P~] R^dag,         Y = R^-1 G(0) R^-dag,  P~ = R^-1 P R^-dag,
    int_0^t G = R [phi(t) o Y + psi(t) o P~] R^dag,

with z_kl = lam_k + conj(lam_l), E = e^{z t}, phi = (e^{z t} - 1)/z and psi = (phi - t)/z (series
near z t = 0, so undamped modes are exact too). The time integrals give the heats
Q_X = int J_X dt and particles N_in_X = int I_X dt exactly. If cond(R) > EIG_COND_MAX (near an
exceptional point), G is propagated instead by exact steps G -> G_ss + E (G - G_ss) E^dag with
E = expm(X dt) (one per distinct step), and int_0^t Tr[O G] = Tr[Lam (G(t) - G(0) - P t)] with
X^dag Lam + Lam X = O (a Lyapunov solve per observable: G(t) - G(0) = X I + I X^dag + P t for
I = int G), which needs every mode damped.

Steady state: X G + G X^dag + P = 0, a continuous Lyapunov equation (unique iff every
eigenvalue of X has Re < 0, i.e. no mode is decoupled from both baths).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from scipy.linalg import expm, solve_continuous_lyapunov

from ..core.errors import DynamicsError
from .baths import LocalBath, bath_matrices
from .model import FreeModel

#: Largest condition number of the eigenvectors of X for the spectral propagator (errors
#: ~ cond * 1e-16); above it the exact-step propagator is used.
EIG_COND_MAX = 1e5
#: An eigenvalue of X with Re(lam) > -DAMPING_RTOL * max|lam| counts as undamped.
DAMPING_RTOL = 1e-12


def _phi(z: np.ndarray, t: float, E: np.ndarray) -> np.ndarray:
    """(e^{zt} - 1)/z given E = e^{zt}; Taylor series for |zt| < 1e-3 (exact to ~1e-17)."""
    w = z * t
    small = np.abs(w) < 1e-3
    out = (E - 1.0) / np.where(small, 1.0, z)
    if np.any(small):
        ws = w[small]
        out[small] = t * (1 + ws / 2 * (1 + ws / 3 * (1 + ws / 4 * (1 + ws / 5))))
    return out


def _psi(z: np.ndarray, t: float, phi: np.ndarray) -> np.ndarray:
    """int_0^t phi(s) ds = (phi(t) - t)/z; series t^2 (1/2 + w/6 + w^2/24 + ...) for |w| < 1e-3."""
    w = z * t
    small = np.abs(w) < 1e-3
    out = (phi - t) / np.where(small, 1.0, z)
    if np.any(small):
        ws = w[small]
        out[small] = t * t * (0.5 + ws / 6 * (1 + ws / 4 * (1 + ws / 5 * (1 + ws / 6))))
    return out


class OpenGenerator:
    """X, P and the per-bath matrices of the Gaussian master equation of ``model``."""

    def __init__(self, model: FreeModel, bath_A: LocalBath | None, bath_B: LocalBath | None):
        self.model = model
        self.baths = {"A": bath_A, "B": bath_B}
        self.parts = bath_matrices(model, bath_A, bath_B)
        L = model.L
        Gam = np.zeros((L, L), dtype=complex)
        P = np.zeros((L, L), dtype=complex)
        for g, p in self.parts.values():
            Gam += g
            P += p
        self.X = -1j * model.h - 0.5 * Gam
        self.P = P
        # (slice, Gamma_XX, P_XX) of each bath: both matrices vanish outside these blocks
        LA = model.L_A
        self.blocks = [
            (sl, (g[sl, sl], p[sl, sl]))
            for side, (g, p) in self.parts.items()
            for sl in [slice(0, LA) if side == "A" else slice(LA, L)]
        ]
        self.lam, self.R = np.linalg.eig(self.X)
        scale = max(float(np.max(np.abs(self.lam))), 1e-300)
        self.undamped = np.flatnonzero(self.lam.real > -DAMPING_RTOL * scale)
        self.cond = float(np.linalg.cond(self.R))

    def require_damped(self, what: str) -> None:
        if self.undamped.size:
            k = int(self.undamped[0])
            raise DynamicsError(
                f"{what}: {self.undamped.size} mode(s) of X = -i h - Gamma/2 are undamped "
                f"(eigenvalue {self.lam[k]:.6g}): they are decoupled from both baths, so the "
                "steady state is not unique; couple every mode to a bath (or lift the symmetry "
                "that hides it)"
            )

    def steady(self) -> np.ndarray:
        """G_ss solving X G + G X^dag + P = 0."""
        self.require_damped("steady state")
        G = solve_continuous_lyapunov(self.X, -self.P)
        return 0.5 * (G + G.conj().T)

    def propagate(
        self, G0: np.ndarray, times: np.ndarray, observables: list[np.ndarray]
    ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """Yield (k, G(t_k), [int_{t_0}^{t_k} Tr[O G] ds for O in observables])."""
        if self.cond <= EIG_COND_MAX:
            yield from self._spectral(G0, times, observables)
        else:
            yield from self._steps(G0, times, observables)

    def _spectral(self, G0, times, observables):
        R, lam = self.R, self.lam
        Rinv = np.linalg.inv(R)
        Y = Rinv @ G0 @ Rinv.conj().T
        Pt = Rinv @ self.P @ Rinv.conj().T
        z = lam[:, None] + lam.conj()[None, :]
        # Tr[O R M R^dag] = sum_kl (R^dag O R)_lk M_kl
        Ot = [np.ascontiguousarray((R.conj().T @ O @ R).T) for O in observables]
        Rh = R.conj().T
        for k, t in enumerate(times - times[0]):
            e = np.exp(lam * t)
            E = e[:, None] * e.conj()[None, :]
            ph = _phi(z, t, E)
            M = E * Y + ph * Pt
            G = R @ M @ Rh
            Mint = ph * Y + _psi(z, t, ph) * Pt
            yield k, 0.5 * (G + G.conj().T), np.array([np.sum(o * Mint).real for o in Ot])

    def _steps(self, G0, times, observables):
        self.require_damped(
            f"evolve: the eigenvectors of X are ill-conditioned (cond = {self.cond:.3g}, near an "
            "exceptional point) so exact steps are used, and"
        )
        Gss = self.steady()
        Xh = self.X.conj().T
        Lams = [solve_continuous_lyapunov(Xh, O) for O in observables]
        cache: dict[float, np.ndarray] = {}
        G = G0.astype(complex)
        tau = times - times[0]
        for k, t in enumerate(tau):
            if k:
                dt = float(tau[k] - tau[k - 1])
                key = float(np.round(dt, 13))
                if key not in cache:
                    cache[key] = expm(self.X * dt)
                E = cache[key]
                G = Gss + E @ (G - Gss) @ E.conj().T
                G = 0.5 * (G + G.conj().T)
            D = G - G0 - self.P * t
            yield k, G, np.array([np.sum(Lam.T * D).real for Lam in Lams])
