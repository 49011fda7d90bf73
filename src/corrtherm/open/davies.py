"""Global (Davies) jump operators: a secular master equation thermal with respect to the full H.

Paper 1 thermalizes each part with a *local* dissipator built from H_A or H_B alone. With an
interaction V that does not commute with H_A + H_B, that dissipator is not thermal with respect
to H = H_A + H_B + V, and the local approach can carry heat from a cold bath into a hot one
(Levy & Kosloff, EPL 107, 20004 (2014); Hofer et al., NJP 19, 123037 (2017)). The *global*
approach derives the dissipator in the eigenbasis of the full H (Davies, Commun. Math. Phys. 39,
91 (1974); Breuer & Petruccione, The Theory of Open Quantum Systems (2002), Sec. 3.3):

    H_SB = sum_k S_k (x) B_k,   H = sum_e e Pi(e),
    A_k(nu) = sum_{e' - e = nu} Pi(e') S_k Pi(e)      (changes the system energy by nu),
    L_X[rho] = sum_k sum_nu gamma(nu) (A_k(nu) rho A_k(nu)^dag - 1/2 {A_k(nu)^dag A_k(nu), rho}).

Conventions: nu is the SYSTEM's energy change (as in :func:`corrtherm.thermal_jumps`), so a
Breuer-Petruccione A(omega) is A(nu = -omega) here; gamma is a rate family of
:func:`corrtherm.thermal_rate` with detailed balance gamma(nu) = gamma(-nu) e^{-beta nu}, which
makes e^{-beta H}/Z a steady state of L_X (and, by Spohn's inequality, makes the entropy
production of the bath non-negative). Each S_k is an independent channel (uncorrelated B_k with
the same spectrum).

Grand-canonical baths (``mu``): when [H, N] = 0 the eigenbasis is chosen to diagonalize N too,
A_k(nu, q) also carries the particle change q = N' - N of the system, and its rate is
gamma(nu - mu q), so e^{-beta (H - mu N)}/Z is steady.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..core._report import Report, fmt
from ..core._validate import finite_real, flag, to_array
from ..core.errors import DynamicsError, ModelError
from ..core.limits import check_coupling_scale
from ..core.model import Bipartite
from .dissipators import jump_superoperator
from .thermal import _check_rates, thermal_rate

__all__ = ["davies_jumps", "davies_bath", "DaviesBath", "DEGENERACY_TOL"]

#: Energies (and Bohr frequencies) closer than DEGENERACY_TOL * max(1, spread of the spectrum)
#: are one level (one frequency): their jumps are grouped into one A(nu).
DEGENERACY_TOL = 1e-9
#: Entries of S in the eigenbasis below this fraction of its largest entry are structural zeros.
SUPPORT_RTOL = 1e-13
#: Largest total size (number of jumps x d^2 complex entries) of the returned jump list.
MAX_JUMP_ENTRIES = 2**25


@dataclass(frozen=True, eq=False)
class _Eigen:
    """Eigenbasis of H (and N): energies E, particle numbers n (zeros without N), vectors Q
    (columns), level labels (equal energy and particle number within the tolerance), the
    levels' energies and numbers, and the absolute tolerance used."""

    E: np.ndarray
    n: np.ndarray
    Q: np.ndarray
    label: np.ndarray
    E_level: np.ndarray
    n_level: np.ndarray
    tol: float

    @property
    def omega(self) -> np.ndarray:
        """Bohr frequency matrix nu_mn = E_m - E_n, equal for all members of two levels."""
        e = self.E_level[self.label]
        return e[:, None] - e[None, :]

    @property
    def dn(self) -> np.ndarray:
        """Particle-change matrix q_mn = n_m - n_n."""
        k = self.n_level[self.label]
        return k[:, None] - k[None, :]


def _clusters(values: np.ndarray, tol: float) -> np.ndarray:
    """Labels of chains of sorted values whose consecutive gaps are <= tol."""
    order = np.argsort(values, kind="stable")
    jumps = np.diff(values[order]) > tol
    lab = np.empty(values.size, dtype=int)
    lab[order] = np.concatenate([[0], np.cumsum(jumps)]) if values.size else []
    return lab


def _eigensystem(H: np.ndarray, N: np.ndarray | None, rtol: float) -> _Eigen:
    """Eigenbasis of H (and of N when given; [H, N] = 0 is checked by the caller)."""
    if N is None:
        E, Q = np.linalg.eigh(H)
        n = np.zeros_like(E)
    else:
        nv, P = np.linalg.eigh(N)
        scale_n = max(1.0, float(np.max(np.abs(nv))))
        sectors = _clusters(nv, rtol * scale_n)
        Es, ns, Qs = [], [], []
        for s in np.unique(sectors):
            idx = np.flatnonzero(sectors == s)
            Pb = P[:, idx]
            Hb = Pb.conj().T @ H @ Pb
            e, u = np.linalg.eigh(0.5 * (Hb + Hb.conj().T))
            Es.append(e)
            ns.append(np.full(e.size, float(np.mean(nv[idx]))))
            Qs.append(Pb @ u)
        E, n, Q = np.concatenate(Es), np.concatenate(ns), np.concatenate(Qs, axis=1)
    spread = float(E.max() - E.min()) if E.size else 0.0
    tol = rtol * max(1.0, spread)
    # levels: same particle number and energies chained within tol
    label = np.zeros(E.size, dtype=int)
    order = np.lexsort((E, n))
    new = np.ones(E.size, dtype=bool)
    new[1:] = (np.diff(n[order]) != 0) | (np.diff(E[order]) > tol)
    label[order] = np.cumsum(new) - 1
    k = int(label.max()) + 1 if E.size else 0
    E_level = np.array([E[label == i].mean() for i in range(k)])
    n_level = np.array([n[label == i][0] for i in range(k)])
    # one value per level (exact degeneracy inside a level) and exactly antisymmetric Bohr
    # frequencies between levels: detailed balance is then exact in floating point
    return _Eigen(E, n, Q, label, E_level, n_level, tol)


def _symmetric_frequencies(eig: _Eigen) -> np.ndarray:
    """Bohr frequencies between levels, with |nu| values closer than tol merged into one value
    (their mean), so that near-degenerate transitions form one A(nu); exactly antisymmetric."""
    nu = eig.E_level[:, None] - eig.E_level[None, :]
    iu = np.triu_indices(nu.shape[0], 1)
    a = np.abs(nu[iu])
    lab = _clusters(a, eig.tol)
    rep = np.zeros(a.size)
    for c in np.unique(lab):
        sel = lab == c
        rep[sel] = a[sel].mean()
    rep[a <= eig.tol] = 0.0
    out = np.zeros_like(nu)
    sign = np.sign(nu[iu])
    out[iu] = sign * rep
    out[(iu[1], iu[0])] = -sign * rep
    return out


def _as_couplings(coupling: Any, dim: int, name: str = "coupling") -> list[np.ndarray]:
    if isinstance(coupling, np.ndarray) and coupling.ndim == 3:
        items = list(coupling)
    elif isinstance(coupling, list | tuple):
        items = list(coupling)
    else:
        items = [coupling]
    if not items:
        raise DynamicsError(f"{name}: is empty; expected a Hermitian operator or a list of them")
    out = []
    for k, S in enumerate(items):
        where = name if len(items) == 1 else f"{name}[{k}]"
        try:
            arr = to_array(S, where)
        except ModelError as exc:
            raise DynamicsError(str(exc)) from None
        if arr.shape != (dim, dim):
            raise DynamicsError(
                f"{where}: has shape {arr.shape}; expected ({dim}, {dim}), an operator on the "
                "bath's side"
            )
        dev = float(np.max(np.abs(arr - arr.conj().T)))
        if dev > 1e-10 * max(1.0, float(np.max(np.abs(arr)))):
            raise DynamicsError(
                f"{where}: is not Hermitian (max |S - S^dag| = {dev:.3g}); the bath couples "
                "through H_SB = S (x) B with Hermitian S: pass S + S^dag (e.g. sx for sm)"
            )
        out.append(0.5 * (arr + arr.conj().T))
    return out


def _check_side(model: Any, side: Any) -> tuple[Bipartite, str]:
    if not isinstance(model, Bipartite):
        raise ModelError(f"model: got {type(model).__name__}; expected a corrtherm.Bipartite")
    if not isinstance(side, str) or side not in ("A", "B"):
        raise DynamicsError(f"side: got {side!r}; expected 'A' or 'B'")
    return model, side


def _check_scalars(beta: Any, gamma0: Any, mu: Any, tol: Any) -> tuple[float, float, float]:
    # finite_real: a bool or a string such as "3" is not a number
    b = finite_real(beta, "beta", DynamicsError, "a finite real inverse temperature")
    g0 = finite_real(gamma0, "gamma0", DynamicsError, "a finite, non-negative rate")
    if g0 < 0:
        raise DynamicsError(f"gamma0: got {gamma0!r}; expected a finite, non-negative rate")
    if mu is not None:
        finite_real(mu, "mu", DynamicsError, "a finite chemical potential or None")
    t = finite_real(tol, "tol", DynamicsError, "0 < tol < 1e-2")
    if not (0 < t < 1e-2):
        raise DynamicsError(f"tol: got {tol!r}; expected 0 < tol < 1e-2")
    return b, g0, t


def _bath_space(
    model: Bipartite, side: str, local: bool, mu: float | None
) -> tuple[np.ndarray, np.ndarray | None, Callable[[np.ndarray], np.ndarray]]:
    """(H, N, embed) of the space the jumps live on: the full space (global) or side X."""
    dA, dB = model.dims
    if local:
        H = model.H_A if side == "A" else model.H_B
        N = None if mu is None else (model.N_A if side == "A" else model.N_B)
        return H, N, lambda S: S
    N = None if mu is None else model.N

    def embed(S: np.ndarray) -> np.ndarray:
        return np.kron(S, np.eye(dB)) if side == "A" else np.kron(np.eye(dA), S)

    return model.H, N, embed


def _eigen_for(model: Bipartite, side: str, local: bool, mu: float | None, tol: float):
    H, N, embed = _bath_space(model, side, local, mu)
    if mu is not None:
        if not model.has_numbers:
            raise DynamicsError(
                "mu: a grand-canonical bath needs number operators; the model has no N_A, N_B"
            )
        comm = float(np.linalg.norm(H @ N - N @ H))
        scale = max(1.0, float(np.linalg.norm(H)) * float(np.linalg.norm(N)))
        if comm > 1e3 * tol * scale:
            what = f"H_{side}, N_{side}" if local else "H, N"
            raise DynamicsError(
                f"mu: ||[{what}]|| = {comm:.3g}; a grand-canonical Davies bath needs a conserved "
                "particle number (the rates gamma(nu - mu q) need a definite particle change q)"
            )
    return _eigensystem(H, N, tol), embed


@dataclass(frozen=True, eq=False)
class _Components:
    """The A_k(nu, q) in the eigenbasis: component c has rate rates[c], frequency nu[c],
    particle change q[c] and entries (rows, cols, vals)[ptr[c]:ptr[c + 1]] (rate not folded)."""

    rates: np.ndarray
    nu: np.ndarray
    q: np.ndarray
    ptr: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray

    def __len__(self) -> int:
        return self.rates.size


def _components(
    model: Bipartite,
    coupling: Any,
    side: Any,
    beta: Any,
    rate: str | Callable,
    gamma0: Any,
    mu: Any,
    local: bool,
    tol: Any,
    what: str,
) -> tuple[_Eigen, _Components]:
    """Validate the input and group the eigenbasis entries of each S_k by (nu, q)."""
    model, side = _check_side(model, side)
    b, g0, t = _check_scalars(beta, gamma0, mu, tol)
    mu_v = None if mu is None else float(mu)
    dX = model.dims[0] if side == "A" else model.dims[1]
    S_list = _as_couplings(coupling, dX)
    eig, embed = _eigen_for(model, side, bool(local), mu_v, t)
    nu_mn = _symmetric_frequencies(eig)[eig.label][:, eig.label]
    q_mn = eig.dn
    x_mn = nu_mn - (0.0 if mu_v is None else mu_v) * q_mn
    Q = eig.Q
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("g", "nu", "q", "n", "r", "c", "v")}
    for S in S_list:
        Se = Q.conj().T @ embed(S) @ Q
        big = np.abs(Se) > SUPPORT_RTOL * max(float(np.max(np.abs(Se))), 1e-300)
        if not np.any(big):
            continue
        rows, cols = np.nonzero(big)
        keys = np.stack([x_mn[rows, cols], nu_mn[rows, cols], q_mn[rows, cols]], axis=1)
        uniq, which = np.unique(keys, axis=0, return_inverse=True)
        which = which.ravel()
        gam = thermal_rate(uniq[:, 0], b, rate, g0)
        _check_rates(gam, uniq[:, 0], b, callable(rate))
        keep = gam > 0
        order = np.argsort(which, kind="stable")
        sel = order[keep[which[order]]]
        counts = np.bincount(which, minlength=uniq.shape[0])[keep]
        parts["g"].append(gam[keep])
        parts["nu"].append(uniq[keep, 1])
        parts["q"].append(uniq[keep, 2])
        parts["n"].append(counts)
        parts["r"].append(rows[sel])
        parts["c"].append(cols[sel])
        parts["v"].append(Se[rows[sel], cols[sel]])

    def cat(k: str, dtype: Any) -> np.ndarray:
        return np.concatenate(parts[k]).astype(dtype) if parts[k] else np.zeros(0, dtype)

    counts = cat("n", int)
    comps = _Components(
        cat("g", float),
        cat("nu", float),
        cat("q", float),
        np.concatenate([[0], np.cumsum(counts)]).astype(int),
        cat("r", int),
        cat("c", int),
        cat("v", complex),
    )
    # before the warning, whose escape rates would overflow: one clear line instead of an
    # OverflowError or a LinAlgError in the solver
    top = float(np.max(comps.rates)) if comps.rates.size else 0.0
    check_coupling_scale(top, S_list, "coupling", DynamicsError)
    _secular_warning(comps, Q.shape[0], side, what)
    return eig, comps


def davies_jumps(
    model: Bipartite,
    coupling: Any,
    side: str,
    beta: float,
    rate: str | Callable = "ohmic",
    gamma0: float = 1.0,
    mu: float | None = None,
    *,
    local: bool = False,
    tol: float = DEGENERACY_TOL,
) -> list[np.ndarray]:
    """Davies (global, secular) jump operators of the bath on ``side``, thermal w.r.t. the full H.

    With the eigen-decomposition H = sum_e e Pi(e) of the full Hamiltonian and the bath coupling
    H_SB = sum_k S_k (x) B_k (``coupling`` = S_k on side X, one Hermitian d_X x d_X operator or a
    list of independent channels), the jumps are (Breuer & Petruccione Sec. 3.3.1 with
    nu = -omega, the system's energy change)

        L_{k,nu} = sqrt(gamma(nu)) A_k(nu),   A_k(nu) = sum_{e' - e = nu} Pi(e') (S_k (x) I) Pi(e)

    on the full d-dimensional space, for every Bohr frequency nu with A_k(nu) != 0, including
    nu = 0 (pure dephasing; its rate gamma(0) is gamma0/beta for "ohmic", gamma0 for "paper",
    gamma0/2 for "fermi", and 0 for "bose", whose flat spectrum has no finite zero-frequency
    limit). ``rate``/``gamma0``: a family of :func:`corrtherm.thermal_rate` ("ohmic" by default:
    the spectral density of a bosonic bath linear at low frequency) or a callable gamma(nu) with
    detailed balance (checked). Detailed balance makes e^{-beta H}/Z steady, unique for a
    generic coupling; with ``mu`` (model with N_A, N_B and [H, N] = 0 required) the jumps are
    also resolved by the particle change q and get gamma(nu - mu q), making
    e^{-beta (H - mu N)}/Z steady.

    Degeneracy: eigenvalues of H closer than ``tol`` * max(1, spread of the spectrum) form one
    level, and Bohr frequencies closer than that are one frequency (exact degeneracies such as
    the equal gaps of two coupled qubits must be grouped: splitting them by round-off would
    drop physical coherences). If two *distinct* Bohr frequencies are closer than the largest
    rate, the secular approximation is not justified and a RuntimeWarning says so (consider the
    local or the Redfield approach).

    ``local=True`` builds the same construction from H_X alone (jumps d_X x d_X): the local
    secular master equation with the same coupling, i.e. paper 1's local approach with
    coupling-dependent matrix elements (for a qubit with S = sx it equals
    :func:`corrtherm.thermal_jumps`).

    Returns a list of dense jump operators (rates folded in; zero-rate jumps dropped; at most
    MAX_JUMP_ENTRIES complex entries in total), usable as ``jumps_A``/``jumps_B`` of
    :func:`corrtherm.evolve` and :func:`corrtherm.steady_state`; the heat current keeps its
    definition J_X = Tr[H L_X[rho]]. For large d use :func:`davies_bath`, the same
    dissipator stored sparsely in the eigenbasis of H.
    References: Davies (1974); Breuer & Petruccione (2002) Sec. 3.3.1; Levy & Kosloff,
    EPL 107, 20004 (2014); Hofer et al., NJP 19, 123037 (2017).
    """
    local = flag(local, "local", DynamicsError)
    eig, comps = _components(
        model, coupling, side, beta, rate, gamma0, mu, local, tol, "davies_jumps"
    )
    dim = eig.Q.shape[0]
    if len(comps) * dim * dim > MAX_JUMP_ENTRIES:
        raise DynamicsError(
            f"model: d = {dim} gives {len(comps)} Davies jumps of {dim} x {dim} (more than "
            f"{MAX_JUMP_ENTRIES} complex entries); use davies_bath(...), the same dissipator "
            "stored sparsely, or the local approach"
        )
    return _dense_jumps(eig.Q, comps)


def _dense_jumps(Q: np.ndarray, comps: _Components) -> list[np.ndarray]:
    dim = Q.shape[0]
    out = []
    for c in range(len(comps)):
        lo, hi = comps.ptr[c], comps.ptr[c + 1]
        A = np.zeros((dim, dim), dtype=complex)
        A[comps.rows[lo:hi], comps.cols[lo:hi]] = comps.vals[lo:hi]
        out.append(np.sqrt(comps.rates[c]) * (Q @ A @ Q.conj().T))
    return out


def _secular_warning(comps: _Components, dim: int, side: str, what: str) -> None:
    """Warn when two distinct Bohr frequencies with jumps are closer than the largest escape
    rate Gamma_n = sum_c gamma_c sum_m |A_c[m, n]|^2 of a level (the relaxation scale)."""
    f = np.unique(comps.nu)
    if f.size < 2:
        return
    counts = np.diff(comps.ptr)
    w = np.repeat(comps.rates, counts) * np.abs(comps.vals) ** 2
    top = float(np.max(np.bincount(comps.cols, weights=w, minlength=dim)))
    gaps = np.diff(f)
    k = int(np.argmin(gaps))
    if gaps[k] < top:
        warnings.warn(
            f"{what} (side {side}): Bohr frequencies {f[k]:.6g} and {f[k + 1]:.6g} differ by "
            f"{gaps[k]:.3g}, less than the largest escape rate {top:.3g}; the secular "
            "approximation of the global approach is not justified here (compare with "
            "approach 'redfield' or 'local')",
            RuntimeWarning,
            stacklevel=4,
        )


@dataclass(frozen=True, eq=False, repr=False)
class DaviesBath(Report):
    """The Davies dissipator of one bath stored sparsely in the eigenbasis of the full H.

    The same dissipator as :func:`davies_jumps` (L_c = sqrt(gamma_c) A_c); pass it as
    ``jumps_A``/``jumps_B`` of :func:`corrtherm.evolve` or :func:`corrtherm.steady_state`.
    Fields: ``side``, ``dims``, ``beta``, ``mu``, ``Q`` (eigenvectors of H as columns, the
    eigenbasis in which the components are stored), ``components`` (rates, frequencies nu,
    particle changes q, entries of each A_c). Memory O(number of nonzero entries of S in the
    eigenbasis) instead of O(number of jumps x d^2): the large-d form of the global approach.
    """

    side: str
    dims: tuple[int, int]
    beta: float
    mu: float | None
    Q: np.ndarray
    components: _Components

    kind = "global"
    _title: ClassVar[str] = "Davies (global) bath, sparse in the eigenbasis of H"

    def _rows(self) -> list[tuple[str, str]]:
        c = self.components
        return [
            ("side", self.side),
            ("β", fmt(self.beta)),
            ("μ", fmt(self.mu)),
            ("d", str(self.d)),
            ("jumps A(ν)", str(len(c))),
            ("stored entries", str(c.vals.size)),
            ("Bohr frequencies ν", fmt(np.unique(c.nu))),
            ("rates γ(ν − μq)", fmt(c.rates)),
        ]

    def __len__(self) -> int:
        return len(self.components)

    @property
    def d(self) -> int:
        return self.Q.shape[0]

    def sandwich(self):
        """The dissipator in the eigenbasis (:class:`~corrtherm.open._eigen_jumps.EigenSandwich`)."""
        cached = self.__dict__.get("_sandwich")
        if cached is None:
            from ._eigen_jumps import EigenSandwich

            c = self.components
            vals = c.vals * np.sqrt(np.repeat(c.rates, np.diff(c.ptr)))
            cached = EigenSandwich(self.d, c.ptr, c.rows, c.cols, vals)
            self.__dict__["_sandwich"] = cached  # frozen dataclass: a cache, not state
        return cached

    def jumps(self) -> list[np.ndarray]:
        """The dense d x d jump operators (what :func:`davies_jumps` returns)."""
        return _dense_jumps(self.Q, self.components)

    def apply(self, rho: np.ndarray) -> np.ndarray:
        """L_X[rho] in the original basis."""
        Q = self.Q
        return Q @ self.sandwich().apply(Q.conj().T @ rho @ Q) @ Q.conj().T

    def adjoint(self, X: np.ndarray) -> np.ndarray:
        """L_X^#[X] in the original basis (Tr[X L_X[rho]] = Tr[L_X^#[X] rho])."""
        Q = self.Q
        return Q @ self.sandwich().adjoint(Q.conj().T @ X @ Q) @ Q.conj().T

    def superoperator(self) -> np.ndarray:
        """d^2 x d^2 matrix of L_X (original basis, row-major vec); dense: small d only."""
        return jump_superoperator(self.jumps(), self.d)


def davies_bath(
    model: Bipartite,
    coupling: Any,
    side: str,
    beta: float,
    rate: str | Callable = "ohmic",
    gamma0: float = 1.0,
    mu: float | None = None,
    *,
    tol: float = DEGENERACY_TOL,
) -> DaviesBath:
    """The Davies (global) bath of :func:`davies_jumps`, stored sparsely in the eigenbasis of H.

    L_X[rho] = sum_c gamma_c (A_c rho A_c^dag - 1/2 {A_c^dag A_c, rho}) with
    A_c = A_k(nu, q) = sum_{e' - e = nu} Pi(e') (S_k (x) I) Pi(e) and gamma_c = gamma(nu - mu q):
    same arguments, formulas and warnings as :func:`davies_jumps` (global only). Returns a
    :class:`DaviesBath` accepted as ``jumps_A``/``jumps_B`` by :func:`corrtherm.evolve` and
    :func:`corrtherm.steady_state`; the ODE path applies it in the eigenbasis of H without d^3
    work per jump (single-entry jumps form one rate matrix), so it scales to d where the dense
    jump list of :func:`davies_jumps` does not fit.
    """
    eig, comps = _components(
        model, coupling, side, beta, rate, gamma0, mu, False, tol, "davies_bath"
    )
    return DaviesBath(
        side, model.dims, float(beta), None if mu is None else float(mu), eig.Q, comps
    )
