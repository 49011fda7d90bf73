"""Energy ledger of paper 1's two-qubit example at t = 0, and the exact admissible range of c.

H_A = w_A sz, H_B = w_B sz, V = g sz x sz, rho(0) = pi_A x pi_B + c sz x sz.
Run: python examples/paper1_ledger.py
"""

import math

import numpy as np

import corrtherm as ct

w_A, w_B, g, beta_A, beta_B = 1.0, 0.7, 0.3, 0.5, 2.0
sz = ct.sigma_z()
model = ct.Bipartite(w_A * sz, w_B * sz, g * ct.pauli("zz"))
pi = np.kron(ct.gibbs_state(model.H_A, beta_A), ct.gibbs_state(model.H_B, beta_B))
c_min, c_max = ct.positivity_interval(pi, ct.pauli("zz"))

Z = 4 * math.cosh(beta_A * w_A) * math.cosh(beta_B * w_B)
print(f"admissible c: [{c_min:.6f}, {c_max:.6f}]")
print(
    "  closed form: [-e^(-bA wA - bB wB), min(e^(-bA wA + bB wB), e^(bA wA - bB wB))] / (Z_A Z_B)"
    f" = [{-math.exp(-beta_A * w_A - beta_B * w_B) / Z:.6f}, "
    f"{min(math.exp(-beta_A * w_A + beta_B * w_B), math.exp(beta_A * w_A - beta_B * w_B)) / Z:.6f}]"
)
c = 0.5 * c_max
ledger = ct.energy_ledger(model, pi + c * ct.pauli("zz"))
print(f"c = {c:.6f}")
for name in ("U", "U_A", "U_B", "U_chi"):
    print(f"  {name:6s} = {getattr(ledger, name): .10f}")
print(f"  4 g c  = {4 * g * c: .10f}   (U_chi = Tr[chi V] = 4 g c)")
print(f"  I(A:B) = {ct.mutual_information(pi + c * ct.pauli('zz'), model.dims):.10f} nats")
