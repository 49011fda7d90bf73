"""Building a scenario: operator expressions, states, baths and the time grid as arrays."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ValidationError

from ..core._validate import density_matrix
from ..core.errors import CorrthermError, ScenarioError
from ..core.limits import check_rate_scale, require_memory
from ..core.model import Bipartite
from ..core.states import gibbs_state, positivity_interval
from ..core.trajectory import _check_time_span, ledger_bytes
from ..isolated.correlated_states import particle_exchange_coherence
from ..open.compare import ThermalBath
from ..open.davies import DaviesBath
from ..open.evolution import (
    EXACT_AUTO_MAX_D,
    EXACT_MAX_D,
    METHODS,
    _check_tolerances,
    solver_bytes,
)
from ..open.redfield import RedfieldBath
from ..open.thermal import thermal_jumps
from .expressions import (
    MAX_DIMENSION,
    ExpressionError,
    SiteSpec,
    _Evaluator,
    _Space,
    evaluate_expression,
    parse_expression,
)
from .files import load_npy
from .schema import BathSpec, SiteKind, StateSpec, _pydantic_message

if TYPE_CHECKING:
    from .load import Scenario

__all__ = ["BuiltScenario", "build_scenario", "CORRELATION_KINDS"]


@dataclass(frozen=True, eq=False)
class BuiltScenario:
    """Everything needed to run a scenario, as arrays.

    ``model`` (:class:`~corrtherm.core.model.Bipartite`), ``rho0``, the save ``times``, ``kind``
    ("open" or "isolated"), the local jumps of each bath, ``alpha_A``, the solver settings, the
    reference beta/mu of the flow analysis (NaN when not known), the admissible interval
    [c_min, c_max] and the chosen c of the correlation, and the site labels in tensor order.
    """

    model: Bipartite
    rho0: np.ndarray
    times: np.ndarray
    kind: str
    jumps_A: tuple[np.ndarray, ...] | DaviesBath | RedfieldBath
    jumps_B: tuple[np.ndarray, ...] | DaviesBath | RedfieldBath
    alpha_A: float
    rtol: float
    atol: float
    method: str
    reference: dict[str, float]  # beta_A, beta_B, mu_A, mu_B for the flow analysis (may be nan)
    c_interval: tuple[float, float] | None
    c: float
    labels: tuple[str, ...]
    extras: dict[str, Any] = field(default_factory=dict)
    #: "local" | "global" | "redfield" ([dynamics] approach)
    approach: str = "local"
    #: the baths' beta_A, beta_B, mu_A, mu_B for the entropy production (None: unknown)
    bath_thermo: dict[str, float | None] = field(default_factory=dict)
    #: each side's bath as a ThermalBath (coupling + temperature), when it has a coupling
    thermal_baths: dict[str, ThermalBath | None] = field(default_factory=dict)


def _sites(scen: Scenario) -> _Space:
    out = []
    for label, k in scen.spec.model.sites.items():
        where = f"{scen.source}: model.sites.{label}"
        if isinstance(k, str):
            ks = k.strip().lower()
            m = re.fullmatch(r"(qubit|fermion|spin|boson)(?:[-:(]\s*([0-9./]+)\s*\)?)?", ks)
            if not m:
                raise ScenarioError(
                    f"{where}: unknown site kind {k!r}; expected qubit, fermion, "
                    "spin-<j> (e.g. spin-1, spin-3/2) or boson-<cutoff>"
                )
            kind, arg = m.group(1), m.group(2)
            if kind in ("qubit", "fermion") and arg:
                raise ScenarioError(f"{where}: {kind} takes no size; got {k!r}")
            try:
                k = SiteKind(
                    kind=kind,
                    cutoff=int(arg) if kind == "boson" and arg and arg.isdigit() else None,
                    j=_frac(arg, where) if kind == "spin" and arg else None,
                )
            except ValidationError as exc:
                raise ScenarioError(f"{where}: {_pydantic_message(exc)}") from None
            if kind == "boson" and k.cutoff is None:
                raise ScenarioError(
                    f'{where}: boson needs a cutoff, e.g. "boson-6" or '
                    '{ kind = "boson", cutoff = 6 }'
                )
            if kind == "spin" and k.j is None:
                raise ScenarioError(f'{where}: spin needs j, e.g. "spin-1"')
        if k.kind == "qubit":
            out.append(SiteSpec(label, "qubit", 2))
        elif k.kind == "fermion":
            out.append(SiteSpec(label, "fermion", 2))
        elif k.kind == "boson":
            if k.cutoff is None:
                raise ScenarioError(f"{where}: boson needs a cutoff (number of Fock levels)")
            out.append(SiteSpec(label, "boson", int(k.cutoff)))
        else:
            j = 0.5 if k.j is None else float(k.j)
            if abs(2 * j - round(2 * j)) > 1e-12:
                raise ScenarioError(f"{where}: spin j = {j}; expected a half-integer")
            out.append(SiteSpec(label, "spin", int(round(2 * j)) + 1, j))
    out.sort(key=lambda s: (s.side, s.index))
    space = _Space(tuple(out))
    if space.d > MAX_DIMENSION:
        raise ScenarioError(
            f"{scen.source}: model.sites: total dimension {space.d} exceeds the "
            f"limit {MAX_DIMENSION} of scenario files; expected d <= {MAX_DIMENSION} (larger "
            "open systems: corrtherm.evolve / steady_state from Python, d up to 4096; free "
            "particles: a [gaussian] table)"
        )
    return space


def _frac(s: str, where: str) -> float:
    try:
        if "/" in s:
            a, b = s.split("/")
            return float(a) / float(b)
        return float(s)
    except (ValueError, ZeroDivisionError):
        raise ScenarioError(f"{where}: cannot read spin {s!r}") from None


def time_grid(scen: Scenario) -> np.ndarray:
    """The save times of ``[time]``: n_points equally spaced in [0, t_final], t_final > 0."""
    t_final = _num(scen, scen.spec.time.t_final, "time.t_final")
    if not t_final > 0:
        raise ScenarioError(f"{scen.source}: time.t_final: got {t_final}; expected a positive time")
    return np.linspace(0.0, t_final, scen.spec.time.n_points)


def _num(scen: Scenario, value: Any, where: str, extra: Mapping[str, float] | None = None) -> float:
    params = {**scen.spec.parameters, **(extra or {})}
    try:
        z = evaluate_expression(value, params, None)
    except ExpressionError as exc:
        raise ScenarioError(f"{scen.source}: {where}: {exc}") from None
    if abs(z.imag) > 1e-12 * max(1.0, abs(z.real)):
        raise ScenarioError(f"{scen.source}: {where}: evaluates to {z}; expected a real number")
    return float(z.real)


def _op(
    scen: Scenario,
    space: _Space,
    text: str,
    where: str,
    side: str | None = None,
    hermitian: bool = True,
) -> np.ndarray:
    """Evaluate an operator expression; ``side`` restricts it to one part and returns it local."""
    try:
        tree = parse_expression(text)
        val = _Evaluator(space, scen.spec.parameters).eval(tree)
    except ExpressionError as exc:
        raise ScenarioError(f"{scen.source}: {where}: {exc}") from None
    X = val.value if val.is_op else val.value * np.eye(space.d, dtype=complex)
    if hermitian:
        dev = float(np.max(np.abs(X - X.conj().T)))
        if dev > 1e-10 * max(1.0, float(np.max(np.abs(X)))):
            raise ScenarioError(
                f"{scen.source}: {where}: is not Hermitian (max |X - X^dag| = "
                f"{dev:.3g}); did you forget `+ h.c.`?"
            )
    if side is None:
        return X
    bad = sorted(s for s in val.sites if s[0] != side)
    if bad:
        raise ScenarioError(
            f"{scen.source}: {where}: uses site {bad[0]} but may only involve sites of {side}"
        )
    dA, dB = space.d_A, space.d_B
    X4 = X.reshape(dA, dB, dA, dB)
    if side == "A":
        loc = np.trace(X4, axis1=1, axis2=3) / dB
        back = np.kron(loc, np.eye(dB))
    else:
        loc = np.trace(X4, axis1=0, axis2=2) / dA
        back = np.kron(np.eye(dA), loc)
    if np.max(np.abs(back - X)) > 1e-10 * max(1.0, float(np.max(np.abs(X)))):
        raise ScenarioError(
            f"{scen.source}: {where}: is not a local operator of {side} (a "
            "fermionic operator with an odd number of c/cdag carries a string "
            "through A)"
        )
    return loc


def _validate_expressions(scen: Scenario) -> None:
    """Build the model eagerly so that a bad expression fails at load time, not mid-run."""
    build_scenario(scen)


def _thermal_marginal(scen, H, N, beta, mu, where):
    try:
        return gibbs_state(H, beta, N, mu if N is not None else None)
    except CorrthermError as exc:
        raise ScenarioError(f"{scen.source}: {where}: {exc}") from None


def build_scenario(scen: Scenario, check_state: bool = True) -> BuiltScenario:
    """Turn a scenario into a model, an initial state, jump operators and a time grid.

    Evaluates every operator expression on the sites of ``[model]`` (checking Hermiticity and
    which side each operator may touch), builds rho(0) = gamma_A (x) gamma_B + c chi (or reads
    the ``.npy`` matrix) and checks it is a state (``check_state``), and turns each bath into
    thermal jumps (paper 1, Eqs. 12-13) or explicit ones. Errors name the file and the key.
    A ``[gaussian]`` scenario gives a :class:`~corrtherm.scenarios.gaussian_build.BuiltGaussian`.
    """
    if scen.spec.gaussian is not None:
        from .gaussian_build import build_gaussian

        return build_gaussian(scen, check_state)
    spec, src = scen.spec, scen.source
    space = _sites(scen)
    m = spec.model
    H_A = _op(scen, space, m.H_A, "model.H_A", "A")
    H_B = _op(scen, space, m.H_B, "model.H_B", "B")
    V = _op(scen, space, m.V, "model.V")
    if (m.N_A is None) != (m.N_B is None):
        raise ScenarioError(f"{src}: model.N_A/N_B: give both number operators or neither")
    N_A = None if m.N_A is None else _op(scen, space, m.N_A, "model.N_A", "A")
    N_B = None if m.N_B is None else _op(scen, space, m.N_B, "model.N_B", "B")
    try:
        model = Bipartite(H_A, H_B, V, N_A, N_B)
    except CorrthermError as exc:
        raise ScenarioError(f"{src}: model: {exc}") from None

    times = time_grid(scen)

    # state
    st = spec.state
    ref = {"beta_A": math.nan, "beta_B": math.nan, "mu_A": 0.0, "mu_B": 0.0}
    c_interval, c = None, 0.0
    if st.kind == "matrix":
        if st.matrix is None:
            raise ScenarioError(f"{src}: state.matrix: missing; give a .npy file with rho0")
        path = Path(st.matrix)
        if not path.is_absolute():
            path = scen.base_dir / path
        # the header is read first: a file claiming a huge shape is refused unread
        rho0 = load_npy(path, (model.d, model.d), f"{src}: state.matrix")
    else:
        if st.matrix is not None:
            raise ScenarioError(f'{src}: state.matrix: only used with kind = "matrix"')
        for nm in ("beta_A", "beta_B"):
            if getattr(st, nm) is None:
                raise ScenarioError(
                    f"{src}: state.{nm}: missing; a thermal state needs beta_A and beta_B"
                )
        bA, bB = _num(scen, st.beta_A, "state.beta_A"), _num(scen, st.beta_B, "state.beta_B")
        muA, muB = _num(scen, st.mu_A, "state.mu_A"), _num(scen, st.mu_B, "state.mu_B")
        if (muA != 0 or muB != 0) and not model.has_numbers:
            raise ScenarioError(
                f"{src}: state.mu_A: a chemical potential needs number "
                "operators model.N_A and model.N_B"
            )
        rA = _thermal_marginal(scen, model.H_A, model.N_A, bA, muA, "state (side A)")
        rB = _thermal_marginal(scen, model.H_B, model.N_B, bB, muB, "state (side B)")
        prod = np.kron(rA, rB)
        ref = {"beta_A": bA, "beta_B": bB, "mu_A": muA, "mu_B": muB}
        if st.correlation is not None:
            if st.correlation.strip() in CORRELATION_KINDS:
                X = _correlation_kind(scen, model, ref, st)
            else:
                X = _op(scen, space, st.correlation, "state.correlation")
            dA, dB = model.dims
            X4 = X.reshape(dA, dB, dA, dB)
            leak = max(
                float(np.max(np.abs(np.trace(X4, axis1=1, axis2=3)))),
                float(np.max(np.abs(np.trace(X4, axis1=0, axis2=2)))),
            )
            if leak > 1e-10 * max(1.0, float(np.max(np.abs(X)))):
                raise ScenarioError(
                    f"{src}: state.correlation: is not a correlation operator (a partial trace "
                    f"is nonzero, max entry {leak:.3g}); expected Tr_A X = Tr_B X = 0"
                )
            c_interval = positivity_interval(prod, X)
            c = _num(scen, st.c, "state.c", {"c_min": c_interval[0], "c_max": c_interval[1]})
            lo, hi = c_interval
            tol = 1e-12 * max(1.0, abs(c))
            if check_state and not lo - tol <= c <= hi + tol:
                raise ScenarioError(
                    f"{src}: state.c: c = {c:.6g} makes the initial state non-positive; the "
                    f"admissible interval is [{lo:.6g}, {hi:.6g}]"
                )
            rho0 = prod + c * X
        else:
            if st.c not in (0, 0.0, "0"):
                raise ScenarioError(f"{src}: state.c: given without state.correlation")
            rho0 = prod
    # explicit references for the flow analysis override the state's
    an = spec.analyses
    for nm in ("beta_A", "beta_B", "mu_A", "mu_B"):
        if getattr(an, nm) is not None:
            ref[nm] = _num(scen, getattr(an, nm), f"analyses.{nm}")
    if check_state:
        try:
            rho0 = density_matrix(rho0, "initial state")
        except CorrthermError as exc:
            raise ScenarioError(f"{src}: state: {exc}") from None

    # dynamics
    dyn = spec.dynamics
    alpha_A = _num(scen, dyn.alpha_A, "dynamics.alpha_A")
    jumps: dict[str, Any] = {"A": (), "B": ()}
    thermo: dict[str, float | None] = {"beta_A": None, "beta_B": None, "mu_A": None, "mu_B": None}
    thermal: dict[str, ThermalBath | None] = {"A": None, "B": None}
    if dyn.kind == "open":
        if dyn.bath_A is None and dyn.bath_B is None:
            raise ScenarioError(f'{src}: dynamics: kind = "open" needs bath_A and/or bath_B')
        for side in ("A", "B"):
            bath = getattr(dyn, f"bath_{side}")
            if bath is not None:
                jumps[side], beta, mu, thermal[side] = _bath(
                    scen, space, model, bath, side, dyn.approach
                )
                thermo[f"beta_{side}"], thermo[f"mu_{side}"] = beta, mu
    elif dyn.bath_A is not None or dyn.bath_B is not None:
        raise ScenarioError(f'{src}: dynamics.bath_A: baths need kind = "open"')
    elif dyn.approach != "local":
        raise ScenarioError(
            f'{src}: dynamics.approach: {dyn.approach!r} needs kind = "open" with baths'
        )
    # what `run` would refuse, `check` and loading refuse too (same validators, same numbers)
    _check_solver_options(scen, model, times, dyn.kind)
    return BuiltScenario(
        model=model,
        rho0=rho0,
        times=times,
        kind=dyn.kind,
        jumps_A=jumps["A"],
        jumps_B=jumps["B"],
        alpha_A=alpha_A,
        rtol=spec.tolerances.rtol,
        atol=spec.tolerances.atol,
        method=spec.tolerances.method,
        reference=ref,
        c_interval=c_interval,
        c=c,
        labels=tuple(space.labels),
        approach=dyn.approach,
        bath_thermo=thermo,
        thermal_baths=thermal,
    )


#: Named correlation operators usable as ``state.correlation`` instead of an expression.
CORRELATION_KINDS = ("particle-exchange",)


def _correlation_kind(
    scen: Scenario, model: Bipartite, ref: Mapping[str, float], st: StateSpec
) -> np.ndarray:
    """``particle-exchange``: coherences moving one particle B -> A between thermal sectors,
    weighted by sqrt(p_a p_b p_a' p_b') (:func:`~corrtherm.isolated.correlated_states.particle_exchange_coherence`),
    so that the admissible c interval stays finite even for truncated bosons."""
    phase = _num(scen, st.phase, "state.phase")
    try:
        return particle_exchange_coherence(
            model, ref["beta_A"], ref["beta_B"], ref["mu_A"], ref["mu_B"], phase
        )
    except CorrthermError as exc:
        raise ScenarioError(f"{scen.source}: state.correlation: {exc}") from None


def _bath(
    scen: Scenario, space: _Space, model: Bipartite, bath: BathSpec, side: str, approach: str
) -> tuple[Any, float | None, float | None, ThermalBath | None]:
    """One bath for ``approach``: (jumps or Redfield bath, beta, mu, ThermalBath or None).

    Explicit ``jumps`` are local (approach "local" only; an optional ``beta``/``mu`` is then
    used for the entropy production only). Otherwise ``beta`` is required; with ``coupling``
    the bath is built by :meth:`corrtherm.ThermalBath.dissipator` (local: secular w.r.t. H_X;
    global: Davies; redfield: Bloch-Redfield), without it (local only) by
    :func:`corrtherm.thermal_jumps` on H_X (H_X - mu N_X for a grand-canonical bath)."""
    src = scen.source
    where = f"dynamics.bath_{side}"
    beta = None if bath.beta is None else _num(scen, bath.beta, f"{where}.beta")
    mu = None if bath.mu is None else _num(scen, bath.mu, f"{where}.mu")
    if mu is not None and not model.has_numbers:
        raise ScenarioError(
            f"{src}: {where}.mu: a grand-canonical bath needs number operators model.N_A and "
            "model.N_B"
        )
    if bath.jumps is not None:
        if bath.coupling is not None:
            raise ScenarioError(f"{src}: {where}: give explicit jumps or a coupling, not both")
        if approach != "local":
            raise ScenarioError(
                f"{src}: {where}.jumps: explicit jumps are local; approach = {approach!r} "
                f'builds the bath from {where}.coupling (e.g. coupling = "sx({side}0)") and beta'
            )
        ops = tuple(
            _op(scen, space, j, f"{where}.jumps[{k}]", side, hermitian=False)
            for k, j in enumerate(bath.jumps)
        )
        check_rate_scale(ops, f"{src}: {where}.jumps", ScenarioError)
        return ops, beta, mu, None
    if beta is None:
        raise ScenarioError(
            f"{src}: {where}.beta: missing; a thermal bath needs beta (or give explicit jumps)"
        )
    gamma0 = _num(scen, bath.gamma0, f"{where}.gamma0")
    if bath.coupling is None:
        if approach != "local":
            raise ScenarioError(
                f"{src}: {where}.coupling: missing; approach = {approach!r} needs the system "
                f'operator(s) the bath couples through, e.g. coupling = "sx({side}0)"'
            )
        H = model.H_A if side == "A" else model.H_B
        if mu is not None:
            H = H - mu * (model.N_A if side == "A" else model.N_B)
        try:
            jumps = tuple(thermal_jumps(H, beta, rate=bath.rate_family, gamma0=gamma0))
        except CorrthermError as exc:
            raise ScenarioError(f"{src}: {where}: {exc}") from None
        check_rate_scale(jumps, f"{src}: {where}.gamma0 = {gamma0:g}", ScenarioError)
        return jumps, beta, mu, None
    texts = [bath.coupling] if isinstance(bath.coupling, str) else list(bath.coupling)
    if not texts:
        raise ScenarioError(f"{src}: {where}.coupling: is empty; expected an operator expression")
    S = [
        _op(scen, space, t, f"{where}.coupling" + (f"[{k}]" if len(texts) > 1 else ""), side)
        for k, t in enumerate(texts)
    ]
    try:
        # inside the try: the bath validates beta and gamma0 when made, and its message needs
        # the file and the table in front (it was printed as a bare "gamma0: got -1.0")
        tb = ThermalBath(S, beta, bath.rate_family, gamma0, mu)
        diss = tb.dissipator(model, side, approach)
    except CorrthermError as exc:
        raise ScenarioError(f"{src}: {where}: {exc}") from None
    if isinstance(diss, list | tuple):
        check_rate_scale(diss, f"{src}: {where}.gamma0 = {gamma0:g}", ScenarioError)
    return (tuple(diss) if isinstance(diss, list) else diss), beta, mu, tb


def _check_solver_options(scen: Scenario, model: Bipartite, times: np.ndarray, kind: str) -> None:
    """[tolerances], the time span and the memory of the run, validated as the solvers would."""
    tol, src = scen.spec.tolerances, scen.source
    n_times = times.size
    try:
        _check_time_span(times, model)
    except CorrthermError as exc:
        raise ScenarioError(f"{src}: time.t_final: {exc}") from None
    if tol.method not in METHODS:
        raise ScenarioError(
            f"{src}: tolerances.method: got {tol.method!r}; expected one of "
            f"{', '.join(repr(m) for m in METHODS)}"
        )
    try:
        _check_tolerances(tol.rtol, tol.atol)
    except CorrthermError as exc:
        raise ScenarioError(f"{src}: tolerances.{exc}") from None
    d = model.d
    method = tol.method
    if kind == "open" and method == "exact" and d > EXACT_MAX_D:
        raise ScenarioError(
            f"{src}: tolerances.method: 'exact' builds a dense d^2 x d^2 generator; allowed up "
            f"to d = {EXACT_MAX_D}, here d = {d}; expected 'ode' or 'auto'"
        )
    if method == "auto":
        method = "exact" if d <= EXACT_AUTO_MAX_D else "ode"
    store = scen.spec.analyses.store_states
    dA, dB = model.dims
    need = ledger_bytes(n_times, dA, dB, store)
    if store:  # results.nc splits the complex states into real and imaginary parts
        need += ledger_bytes(n_times, dA, dB, True) - ledger_bytes(n_times, dA, dB, False)
    if kind == "open":
        need += solver_bytes(d, method)
    require_memory(
        need,
        f"{src}: the run ({n_times} save times at d = {d}"
        + (", store_states = true" if store else "")
        + ")",
        "save fewer times (time.n_points)"
        + (" or set analyses.store_states = false" if store else "")
        + " or use a smaller model",
    )
