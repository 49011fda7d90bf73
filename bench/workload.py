"""The thermal-chain workload of ``../shared/bench/thermal_chain_qutip.py`` in plain NumPy.

XX chain of n sites split into halves A (n // 2 sites) | B, H_X = sum_k h_k sz_k +
J sum_k (sm_k^dag sm_{k+1} + h.c.) with h_k = 0.5 + 0.137 k + 0.05 k^2 (k counted inside each
half), J = 1, coupling V = a^dag (x) b + a (x) b^dag between the last site of A and the first of B
(sm = |0><1| = qutip.destroy(2), sz = diag(1, -1)). Each half has jumps sqrt(r) |m><n| between all
pairs of its bare eigenstates, r = g0 / (1 + exp(beta (E_m - E_n))), g0 = 0.1, beta_A = 0.5,
beta_B = 2.0. rho0 = 0.8 piA (x) piB + 0.2 |psi><psi|, psi = (|0..0, 1..1> + |1..1, 0..0>)/sqrt 2.
Times linspace(0, 10, n_times); tolerances rtol 1e-8, atol 1e-10.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import expm

J = 1.0
BETA_A, BETA_B = 0.5, 2.0
G0 = 0.1
T_END = 10.0
RTOL, ATOL = 1e-8, 1e-10


def field(k: int) -> float:
    return 0.5 + 0.137 * k + 0.05 * k * k


def _op(o: np.ndarray, k: int, n: int) -> np.ndarray:
    out = np.ones((1, 1), dtype=complex)
    for j in range(n):
        out = np.kron(out, o if j == k else np.eye(2))
    return out


def chain(n: int) -> np.ndarray:
    sm = np.array([[0, 1], [0, 0]], dtype=complex)
    sz = np.diag([1.0, -1.0]).astype(complex)
    H = sum(field(k) * _op(sz, k, n) for k in range(n))
    for k in range(n - 1):
        a, b = _op(sm, k, n), _op(sm, k + 1, n)
        H = H + J * (a.conj().T @ b + a @ b.conj().T)
    return H


def thermal_jumps(H: np.ndarray, beta: float, g0: float = G0) -> list[np.ndarray]:
    E, U = np.linalg.eigh(H)
    ops = []
    for m in range(E.size):
        for k in range(E.size):
            if m != k:
                rate = g0 / (1.0 + np.exp(beta * (E[m] - E[k])))
                ops.append(np.sqrt(rate) * np.outer(U[:, m], U[:, k].conj()))
    return ops


@dataclass
class Workload:
    n: int
    HA: np.ndarray
    HB: np.ndarray
    V: np.ndarray
    jumps_A: list
    jumps_B: list
    rho0: np.ndarray
    times: np.ndarray

    @property
    def dims(self) -> tuple[int, int]:
        return self.HA.shape[0], self.HB.shape[0]


def build(n: int, n_times: int) -> Workload:
    na, nb = n // 2, n - n // 2
    HA, HB = chain(na), chain(nb)
    dA, dB = 2**na, 2**nb
    sm = np.array([[0, 1], [0, 0]], dtype=complex)
    a_last, b_first = _op(sm, na - 1, na), _op(sm, 0, nb)
    V = np.kron(a_last.conj().T, b_first) + np.kron(a_last, b_first.conj().T)
    piA = expm(-BETA_A * HA)
    piA /= np.trace(piA)
    piB = expm(-BETA_B * HB)
    piB /= np.trace(piB)
    psi = np.zeros(dA * dB, dtype=complex)
    psi[0 * dB + (dB - 1)] = 1.0  # |0..0>_A |1..1>_B
    psi[(dA - 1) * dB + 0] = 1.0  # |1..1>_A |0..0>_B
    psi /= np.linalg.norm(psi)
    rho0 = 0.8 * np.kron(piA, piB) + 0.2 * np.outer(psi, psi.conj())
    return Workload(
        n,
        HA,
        HB,
        V,
        thermal_jumps(HA, BETA_A),
        thermal_jumps(HB, BETA_B),
        rho0,
        np.linspace(0.0, T_END, n_times),
    )
