"""The RFC 9162 (RFC 6962) Merkle tree over the publication log's lines.

Each leaf is one line of ``publication-log.jsonl`` without its newline; the leaf hash is
``SHA-256(0x00 || line)`` and an interior node ``SHA-256(0x01 || left || right)``, where a
tree of ``n`` leaves splits at ``k``, the largest power of two smaller than ``n``
(RFC 9162 §2.1.1). This module computes the tree head (``root``), inclusion proofs
(§2.1.3) and consistency proofs (§2.1.4), and verifies both. The verifiers never trust
the proof: they recompute the root from the leaf (or the old root) and the path.

Written from the RFC, standard library only, so that an auditor can read it in one sitting;
checked against the published RFC 6962 test vectors in ``tests/test_merkle.py``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The head of the empty tree."""


def leaf_hash(line: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + line).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n`` > 1)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


class Tree:
    """The tree over ``leaves`` (leaf hashes), with every subtree head computed once, so that
    the proofs of all leaves of a log cost about as much as its root."""

    def __init__(self, leaves: Sequence[bytes]):
        self.leaves = list(leaves)
        self._heads: dict[tuple[int, int], bytes] = {}

    @property
    def size(self) -> int:
        return len(self.leaves)

    def head(self, start: int = 0, end: int | None = None) -> bytes:
        """The head of the subtree of leaves ``start`` .. ``end - 1`` (MTH, RFC 9162 §2.1.1)."""
        end = self.size if end is None else end
        if end == start:
            return EMPTY_ROOT
        if end - start == 1:
            return self.leaves[start]
        key = (start, end)
        found = self._heads.get(key)
        if found is None:
            k = _split(end - start)
            found = node_hash(self.head(start, start + k), self.head(start + k, end))
            self._heads[key] = found
        return found

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of the first ``size`` leaves (default:
        all) (RFC 9162 §2.1.3.1). Subtree heads are shared between sizes."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError(f"index {index} ngoài cây {size} lá")
        out: list[bytes] = []
        start, end, m = 0, size, index
        while end - start > 1:
            k = _split(end - start)
            if m < k:
                out.append(self.head(start + k, end))
                end = start + k
            else:
                out.append(self.head(start, start + k))
                start, m = start + k, m - k
        return out[::-1]

    def consistency_proof(self, old_size: int, size: int | None = None) -> list[bytes]:
        """The proof that the first ``old_size`` leaves are a prefix of the tree of the first
        ``size`` leaves (default: all) (RFC 9162 §2.1.4.1)."""
        size = self.size if size is None else size
        if not 0 < old_size <= size <= self.size:
            raise ValueError(f"không có cây cũ {old_size} lá trong cây {size} lá")
        out: list[bytes] = []
        start, end, m, whole = 0, size, old_size, True
        while m != end - start:
            k = _split(end - start)
            if m <= k:
                out.append(self.head(start + k, end))
                end = start + k
            else:
                out.append(self.head(start, start + k))
                start, m, whole = start + k, m - k, False
        if not whole:
            out.append(self.head(start, end))
        return out[::-1]


def root(leaves: Sequence[bytes]) -> bytes:
    """The tree head of ``leaves`` (leaf hashes)."""
    return Tree(leaves).head()


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    return Tree(leaves).inclusion_proof(index)


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes) -> bool:
    """Does ``proof`` show that ``leaf`` (a leaf hash) is at ``index`` of the tree of
    ``size`` leaves whose head is ``expected_root`` (RFC 9162 §2.1.3.2)?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    return Tree(leaves).consistency_proof(old_size)


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """Does ``proof`` show that the tree of ``old_size`` leaves with head ``old_root`` is a
    prefix of the tree of ``new_size`` leaves with head ``new_root`` (RFC 9162 §2.1.4.2)?"""
    if old_size == new_size:
        return not proof and old_root == new_root
    if not 0 < old_size < new_size:
        return False
    proof = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        proof = [old_root, *proof]
    if not proof:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


def log_leaves(raw: bytes) -> list[bytes]:
    """The leaf hashes of a log file's bytes: one per line, without its newline."""
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [leaf_hash(line) for line in lines]


class Frontier:
    """The right edge of a growing tree: the heads of its perfect subtrees, largest first
    (one per bit set in ``size``; the "compact range" of RFC 9162 implementations). Enough to
    append leaves and compute the head of every size reached, in memory that grows with
    log2(size) only: a witness keeps it instead of the whole log."""

    def __init__(self, size: int = 0, heads: Sequence[bytes] = ()):
        if len(heads) != bin(size).count("1"):
            raise ValueError(
                f"cây {size} lá phải có {bin(size).count('1')} cây con hoàn chỉnh, không phải {len(heads)}"
            )
        self.size = size
        self.heads = list(heads)

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash at the right."""
        self.heads.append(leaf)
        self.size += 1
        n = self.size
        while n & 1 == 0:  # merge the two equal subtrees at the edge, once per trailing zero
            right = self.heads.pop()
            self.heads[-1] = node_hash(self.heads[-1], right)
            n >>= 1

    def head(self) -> bytes:
        """The head of the tree of the leaves appended so far."""
        if not self.heads:
            return EMPTY_ROOT
        found = self.heads[-1]
        for left in reversed(self.heads[:-1]):
            found = node_hash(left, found)
        return found

    def copy(self) -> Frontier:
        return Frontier(self.size, self.heads)
