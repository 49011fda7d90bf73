"""Symmetry sectors of the structured generator and the block storage of states.

When H = H_A (x) 1 + 1 (x) H_B + V conserves a quantity (an excitation number, a parity), the
Hilbert space splits into sectors c: the connected components of the graph of the nonzero entries
of H in the product of the local *original* bases (exact zeros, no thresholds). The internal basis
(:func:`corrtherm.open._kernels._block_eigh`) keeps every local eigenvector inside one component
of H_X, so each internal product state |a b> lies in exactly one sector c(a b).

With thermal sides, L maps the block rho[c, c'] (rows in sector c, columns in c') only to
blocks it can reach: -i[H, .] and the coherence damping keep (c, c'); the rate sandwich of side
A sends rho[(a b), (a b')] to rho[(m b), (m b')] for every m with R_A[m, a] > 0, i.e. block
(c(a b), c(a b')) to (c(m b), c(m b')); side B likewise. The blocks reachable from the support of
rho(0) (for steady states: from the populations) therefore hold rho(t) exactly, for all t.
:class:`SectorLayout` stores only those blocks, one flat complex vector: e.g. the XX chain of
12 sites keeps 2.7 M of the 16.8 M entries (the blocks of equal total excitation number).
The Hilbert-Schmidt inner product of two states is the plain dot product of their flat vectors,
because the entries not stored are exactly zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._kernels import _components

#: Above this stored fraction of d^2, a sector layout is not worth its bookkeeping: use one block.
MAX_STORED_FRACTION = 0.6


@dataclass(frozen=True, eq=False)
class Sectors:
    """Global sectors of the internal product basis i = a d_B + b.

    local_A[a], local_B[b]: local sector of every internal basis vector; sector[i]: global
    sector; members[c]: internal indices of sector c, ordered by local-sector pair (sA, sB),
    then a, then b, so that every pair (sA, sB) occupies a contiguous range of rows in tensor
    (a-major) order; pairs[c]: list of (sA, sB, start, stop) of those ranges.
    """

    dims: tuple[int, int]
    local_A: np.ndarray
    local_B: np.ndarray
    sector: np.ndarray
    members: tuple[np.ndarray, ...]
    pairs: tuple[tuple[tuple[int, int, int, int], ...], ...]
    position: np.ndarray  # position of internal index i inside its sector

    @property
    def count(self) -> int:
        return len(self.members)

    @property
    def sizes(self) -> np.ndarray:
        return np.array([m.size for m in self.members])


def _sector_pairs(
    V: np.ndarray, orig_A: np.ndarray, orig_B: np.ndarray, nA: int, nB: int
) -> np.ndarray:
    """Global label of every local-sector pair (sA, sB): components of the graph in which V
    connects (sA, sB) and (sA', sB') when it has a nonzero entry between their states."""
    dA, dB = orig_A.size, orig_B.size
    pair_of_state = (orig_A[:, None] * nB + orig_B[None, :]).ravel()
    n_pairs = nA * nB
    P = np.zeros((dA * dB, n_pairs), dtype=np.float32)
    P[np.arange(dA * dB), pair_of_state] = 1.0
    link = P.T @ (V != 0).astype(np.float32) @ P > 0
    _, label = _components(link | np.eye(n_pairs, dtype=bool))
    return label


def find_sectors(
    V: np.ndarray,
    local_A: np.ndarray,
    local_B: np.ndarray,
    orig_A: np.ndarray,
    orig_B: np.ndarray,
) -> Sectors:
    """Global sectors from the local sector labels and the (original-basis) coupling V."""
    dA, dB = local_A.size, local_B.size
    nA, nB = int(local_A.max()) + 1, int(local_B.max()) + 1
    pair_label = _sector_pairs(V, orig_A, orig_B, nA, nB).reshape(nA, nB)
    sector = pair_label[local_A[:, None], local_B[None, :]].ravel()
    # renumber sectors by first appearance for a deterministic order
    _, first = np.unique(sector, return_index=True)
    renum = np.empty(sector.max() + 1, dtype=np.int64)
    renum[sector[np.sort(first)]] = np.arange(first.size)
    sector = renum[sector]
    a_of = np.repeat(np.arange(dA), dB)
    b_of = np.tile(np.arange(dB), dA)
    key = np.lexsort((b_of, a_of, local_B[b_of], local_A[a_of], sector))
    members, pairs = [], []
    position = np.empty(dA * dB, dtype=np.int64)
    bounds = np.searchsorted(sector[key], np.arange(first.size + 1))
    for c in range(first.size):
        idx = key[bounds[c] : bounds[c + 1]]
        members.append(idx)
        position[idx] = np.arange(idx.size)
        sa, sb = local_A[a_of[idx]], local_B[b_of[idx]]
        cut = np.flatnonzero((np.diff(sa) != 0) | (np.diff(sb) != 0)) + 1
        starts = np.concatenate([[0], cut])
        stops = np.concatenate([cut, [idx.size]])
        pairs.append(tuple((int(sa[s]), int(sb[s]), int(s), int(e)) for s, e in zip(starts, stops)))
    return Sectors((dA, dB), local_A, local_B, sector, tuple(members), tuple(pairs), position)


def single_sector(dims: tuple[int, int]) -> Sectors:
    """The trivial partition: one sector holding every state in plain order."""
    dA, dB = dims
    zA, zB = np.zeros(dA, dtype=np.int64), np.zeros(dB, dtype=np.int64)
    idx = np.arange(dA * dB)
    return Sectors(
        dims, zA, zB, np.zeros(dA * dB, dtype=np.int64), (idx,), (((0, 0, 0, dA * dB),),), idx
    )


def _rate_edges(R: np.ndarray | None, local: np.ndarray) -> np.ndarray:
    """Local-sector pairs (s, s') such that some rate R[m, a] > 0 has a in s and m in s'."""
    n = int(local.max()) + 1
    edges = np.eye(n, dtype=bool)
    if R is not None:
        m, a = np.nonzero(R)
        edges[local[a], local[m]] = True
    return edges


def block_closure(
    sectors: Sectors, R_A: np.ndarray | None, R_B: np.ndarray | None, start: np.ndarray
) -> np.ndarray:
    """Smallest set of sector blocks (c, c') containing ``start`` (bool, n_sectors^2) that L
    maps into itself (module docstring); Hermitian by construction (closed under transpose)."""
    from scipy.sparse import coo_matrix

    nc = sectors.count
    dA, dB = sectors.dims
    nA, nB = int(sectors.local_A.max()) + 1, int(sectors.local_B.max()) + 1
    # global sector of every local pair (sA, sB) that occurs (-1: no such states)
    G = -np.ones((nA, nB), dtype=np.int64)
    G[sectors.local_A[:, None], sectors.local_B[None, :]] = sectors.sector.reshape(dA, dB)
    src, dst = [], []
    # side A: (G[s, t], G[s, t']) -> (G[s', t], G[s', t']) for every rate edge s -> s'
    for s, s2 in zip(*np.nonzero(_rate_edges(R_A, sectors.local_A))):
        a, b = G[s][:, None] * nc + G[s][None, :], G[s2][:, None] * nc + G[s2][None, :]
        ok = (G[s][:, None] >= 0) & (G[s][None, :] >= 0) & (G[s2][:, None] >= 0)
        ok &= G[s2][None, :] >= 0
        src.append(a[ok])
        dst.append(b[ok])
    # side B: (G[s, t], G[s', t]) -> (G[s, t2], G[s', t2]) for every rate edge t -> t2
    for t, t2 in zip(*np.nonzero(_rate_edges(R_B, sectors.local_B))):
        ga, gb = G[:, t], G[:, t2]
        a, b = ga[:, None] * nc + ga[None, :], gb[:, None] * nc + gb[None, :]
        ok = (ga[:, None] >= 0) & (ga[None, :] >= 0) & (gb[:, None] >= 0) & (gb[None, :] >= 0)
        src.append(a[ok])
        dst.append(b[ok])
    src_a, dst_a = np.concatenate(src), np.concatenate(dst)
    rel = coo_matrix(
        (np.ones(src_a.size, dtype=bool), (src_a, dst_a)), shape=(nc * nc, nc * nc)
    ).tocsr()
    allowed = (start | start.T).ravel().copy()
    frontier = allowed.copy()
    while frontier.any():
        reach = np.zeros(nc * nc, dtype=bool)
        reach[rel[np.flatnonzero(frontier)].indices] = True
        new = reach & ~allowed
        allowed |= new
        frontier = new
    allowed = allowed.reshape(nc, nc)
    return allowed | allowed.T


def support_blocks(sectors: Sectors, rho: np.ndarray, drop_max: float = 0.0) -> np.ndarray:
    """Sector blocks (c, c') in which the internal-basis matrix rho has weight: a block whose
    entries have Frobenius norm <= ``drop_max`` in total (all such blocks together) counts as
    empty, so that round-off of a state computed in another basis does not fill every block."""
    nc = sectors.count
    mem = sectors.members
    weight = np.zeros((nc, nc))  # squared Frobenius norm per block, one block at a time
    for c in range(nc):
        rows = rho[mem[c]]
        for c2 in range(nc):
            blk = rows[:, mem[c2]]
            weight[c, c2] = float(np.vdot(blk, blk).real)
        del rows
    order = np.argsort(weight, axis=None)
    dropped = np.cumsum(weight.ravel()[order]) <= drop_max**2
    keep = np.ones(nc * nc, dtype=bool)
    keep[order[dropped]] = False
    return (keep & (weight.ravel() > 0)).reshape(nc, nc)


class SectorLayout:
    """Flat storage of the allowed sector blocks of d x d internal-basis matrices.

    Block (c, c') is stored row-major (rows: ``sectors.members[c]``, columns: members[c']) at
    ``offset[b]`` for b = ``block_id[c, c']``. Index tables of the generator's local actions:
    ``pos_A[a, b, b']`` = flat position of entry ((a b), (a b')) (-1 if not stored),
    ``pos_B[b, a, a']`` = position of ((a b), (a' b)), ``diag[i]`` = position of (i, i).
    """

    def __init__(self, sectors: Sectors, allowed: np.ndarray):
        self.sectors = sectors
        self.dims = sectors.dims
        self.d = self.dims[0] * self.dims[1]
        nc = sectors.count
        sizes = sectors.sizes
        self.block_id = -np.ones((nc, nc), dtype=np.int64)
        blocks, offsets, off = [], [], 0
        for c in range(nc):
            for c2 in range(nc):
                if allowed[c, c2]:
                    self.block_id[c, c2] = len(blocks)
                    blocks.append((c, c2))
                    offsets.append(off)
                    off += int(sizes[c] * sizes[c2])
        self.blocks = tuple(blocks)
        self.offset = np.array(offsets + [off], dtype=np.int64)
        self.n = off
        self.sizes = sizes
        dA, dB = self.dims
        i_ab = np.arange(self.d).reshape(dA, dB)
        self.pos_A = self.position(i_ab[:, :, None], i_ab[:, None, :])  # (a, b, b')
        self.pos_B = self.position(
            i_ab.T[:, :, None], i_ab.T[:, None, :]
        )  # (b, a, a') -> ((a b), (a' b))
        self.diag = self.position(np.arange(self.d), np.arange(self.d))

    @property
    def stored_fraction(self) -> float:
        return self.n / float(self.d * self.d)

    def position(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Flat position of entries (i, j) (broadcast), -1 where the block is not stored."""
        sec, pos = self.sectors.sector, self.sectors.position
        ci, cj = sec[i], sec[j]
        b = self.block_id[ci, cj]
        out = self.offset[np.maximum(b, 0)] + pos[i] * self.sizes[cj] + pos[j]
        return np.where(b >= 0, out, -1)

    def block(self, x: np.ndarray, b: int) -> np.ndarray:
        """View of block b of the flat vector x as an (s_c, s_c') matrix."""
        c, c2 = self.blocks[b]
        return x[self.offset[b] : self.offset[b + 1]].reshape(self.sizes[c], self.sizes[c2])

    def from_dense(self, X: np.ndarray) -> np.ndarray:
        """Stored entries of a d x d matrix (entries outside the stored blocks are dropped)."""
        out = np.empty(self.n, dtype=complex)
        mem = self.sectors.members
        for b, (c, c2) in enumerate(self.blocks):
            out[self.offset[b] : self.offset[b + 1]] = X[np.ix_(mem[c], mem[c2])].ravel()
        return out

    def to_dense(self, x: np.ndarray) -> np.ndarray:
        X = np.zeros((self.d, self.d), dtype=complex)
        mem = self.sectors.members
        for b, (c, c2) in enumerate(self.blocks):
            X[np.ix_(mem[c], mem[c2])] = self.block(x, b)
        return X

    def dagger(self, x: np.ndarray) -> np.ndarray:
        """Flat vector of X^dag."""
        out = np.empty_like(x)
        for b, (c, c2) in enumerate(self.blocks):
            self.block(out, self.block_id[c2, c])[...] = self.block(x, b).conj().T
        return out

    def trace(self, x: np.ndarray) -> complex:
        d = self.diag
        return complex(np.sum(x[d[d >= 0]]))

    def diagonal_blocks(self) -> list[list[int]]:
        """Groups of sectors joined by stored off-diagonal blocks: the states are block
        diagonal over these groups (exact spectra per group)."""
        nc = self.sectors.count
        link = self.block_id >= 0
        n, lab = _components(link | link.T | np.eye(nc, dtype=bool))
        return [list(np.flatnonzero(lab == g)) for g in range(n)]
