"""The Merkle tree that commits the archive's chained log: RFC 9162 (CT 2.0, the tree of RFC 6962) over SHA-256.

The Merkle Tree Hash of an ordered list of entries is SHA-256 of nothing for the empty list,
``SHA-256(0x00 || entry)`` for one entry (a leaf), and ``SHA-256(0x01 || left || right)`` above that,
where the left subtree holds the largest power of two of entries smaller than the list. The two
prefixes separate leaves from inner nodes: without them the concatenation of two child hashes would
also be a valid entry, and a shorter list with the same root could be forged. A signed head is the
pair (size, root); an inclusion proof (``inclusion_proof``, RFC 9162 §2.1.3) shows one entry is in
it, a consistency proof (``consistency_proof``, §2.1.4) that a later head only appended entries.

``MerkleTree`` keeps the hash of every perfect subtree (2**k leaves starting at a multiple of 2**k):
each append completes at most one subtree per level (amortised one node hash), and every root or
proof of any past size is put together from O(log n) of them, never recomputed from the leaves.

The frontier of a size is its compact range: the roots of the perfect subtrees that tile the first
``size`` leaves, largest first, one per set bit of the size. It is all that is needed to go on
appending, so a verifier that kept the frontier of the last signed head it checked hashes only the
newest batch of entries (``extend_frontier``) and compares ``root_of_frontier`` with the new head,
instead of replaying the whole log. Standard library only: the module also runs on the archive hosts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

_DIGEST_SIZE = 32  # SHA-256

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """The hash of one entry as a leaf of the tree: ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an inner node from its children's hashes: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_of_frontier(frontier: Sequence[bytes]) -> bytes:
    """The root of the tree whose perfect subtrees, largest first, are ``frontier``: ``EMPTY_ROOT`` for none."""
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1]
    for position in range(len(frontier) - 2, -1, -1):
        root = node_hash(frontier[position], root)
    return root


def extend_frontier(frontier: Sequence[bytes], size: int, leaf_hashes: Iterable[bytes]) -> list[bytes]:
    """The frontier after appending ``leaf_hashes`` to the tree of ``size`` leaves whose frontier is given.
    ``ValueError`` when the frontier does not hold one hash per set bit of ``size``."""
    if size < 0 or len(frontier) != size.bit_count():
        raise ValueError(f"a frontier of {size} leaves holds {max(size, 0).bit_count()} hashes, not {len(frontier)}")
    subtrees = [_checked_hash(subtree, "frontier hash") for subtree in frontier]
    for leaf in leaf_hashes:
        carry = _checked_hash(leaf, "leaf hash")
        filled = size
        while filled & 1:  # the new leaf completes the smallest subtree, which may complete the next one...
            carry = node_hash(subtrees.pop(), carry)
            filled >>= 1
        subtrees.append(carry)
        size += 1
    return subtrees


class MerkleTree:
    """An append-only RFC 9162 tree of leaf hashes (``leaf_hash(entry)``), with the roots and proofs of every
    size it has had. ``ValueError`` for a leaf hash that is not 32 bytes and for sizes or indices outside it."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        # _levels[k][i]: the hash of the perfect subtree of leaves i * 2**k .. (i + 1) * 2**k - 1
        self._levels: list[list[bytes]] = [[]]
        for leaf in leaf_hashes:
            self.append(leaf)

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    def append(self, leaf_hash: bytes) -> None:
        """Add a leaf hash at the end, and the hashes of the perfect subtrees it completes."""
        carry = _checked_hash(leaf_hash, "leaf hash")
        level = 0
        while True:
            self._levels[level].append(carry)
            if len(self._levels[level]) % 2:
                return
            carry = node_hash(self._levels[level][-2], carry)
            level += 1
            if level == len(self._levels):
                self._levels.append([])

    def frontier(self, size: int | None = None) -> list[bytes]:
        """The perfect subtrees that make up the first ``size`` leaves (default all), largest first."""
        return self._perfect_subtrees(0, self._checked_size(size))

    def root(self, size: int | None = None) -> bytes:
        """The root of the tree of the first ``size`` leaves (default all); ``EMPTY_ROOT`` for none."""
        return root_of_frontier(self.frontier(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 PATH(index, D[0:size]): the sibling hashes from the leaf at ``index`` up to the root of the
        first ``size`` leaves (default all)."""
        size = self._checked_size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} is not in a tree of {size} leaves")
        siblings: list[bytes] = []  # from the root down
        start, end = 0, size
        while end - start > 1:
            middle = start + _left_size(end - start)
            if index < middle:
                siblings.append(self._subtree_root(middle, end))
                end = middle
            else:
                siblings.append(self._subtree_root(start, middle))
                start = middle
        siblings.reverse()
        return siblings

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """RFC 9162 PROOF(old_size, D[0:new_size]) (SUBPROOF started with b = true): the hashes that show the
        first ``new_size`` leaves (default all) extend the first ``old_size``; empty for equal sizes."""
        new_size = self._checked_size(new_size)
        if not 0 < old_size <= new_size:
            raise ValueError(f"a consistency proof needs 0 < old size <= new size, not {old_size} and {new_size}")
        siblings: list[bytes] = []  # from the root down
        start, end = 0, new_size
        while end != old_size:  # descend to the subtree whose last leaf is the old tree's last leaf
            middle = start + _left_size(end - start)
            if old_size <= middle:
                siblings.append(self._subtree_root(middle, end))
                end = middle
            else:
                siblings.append(self._subtree_root(start, middle))
                start = middle
        if start > 0:  # b = false: that subtree is not the whole old tree, whose root the verifier already has
            siblings.append(self._subtree_root(start, end))
        siblings.reverse()
        return siblings

    def _checked_size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"size {size} is outside the tree of {self.size} leaves")
        return size

    def _perfect_subtrees(self, start: int, end: int) -> list[bytes]:
        """The cached subtrees that tile leaves start .. end - 1, largest first. ``start`` is a multiple of the
        largest power of two not above ``end - start``, as in every range the RFC's recursion splits off."""
        subtrees: list[bytes] = []
        width = end - start
        for level in range(width.bit_length() - 1, -1, -1):
            if width >> level & 1:
                subtrees.append(self._levels[level][start >> level])
                start += 1 << level
        return subtrees

    def _subtree_root(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range of the RFC's recursion: at most one per proof is not perfect."""
        return root_of_frontier(self._perfect_subtrees(start, end))


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: whether ``proof`` shows the leaf hash ``leaf`` at ``index`` in the tree (size, root).
    False, never an exception, for a wrong proof, hash or size."""
    if not 0 <= index < size or not _are_hashes(leaf, root, *proof):
        return False
    node, last = index, size - 1
    computed = leaf
    for sibling in proof:
        if last == 0:  # the proof is longer than the path
            return False
        if node & 1 or node == last:
            computed = node_hash(sibling, computed)
            node, last = _skip_lone_levels(node, last)
        else:
            computed = node_hash(computed, sibling)
        node, last = node >> 1, last >> 1
    return last == 0 and computed == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: whether ``proof`` shows the tree (new_size, new_root) extends (old_size, old_root).
    Equal sizes need an empty proof and equal roots. False, never an exception, for a wrong proof, hash or size
    (an old size of 0 included: there is no proof from the empty tree)."""
    if not 0 < old_size <= new_size or not _are_hashes(old_root, new_root, *proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # the old tree is a whole subtree: its root was left out of the proof
        path.insert(0, old_root)
    node, last = old_size - 1, new_size - 1
    while node & 1:  # start at the root of the largest perfect subtree that ends with the old tree's last leaf
        node, last = node >> 1, last >> 1
    old_computed = new_computed = path[0]
    for sibling in path[1:]:
        if last == 0:
            return False
        if node & 1 or node == last:
            old_computed = node_hash(sibling, old_computed)
            new_computed = node_hash(sibling, new_computed)
            node, last = _skip_lone_levels(node, last)
        else:
            new_computed = node_hash(new_computed, sibling)
        node, last = node >> 1, last >> 1
    return last == 0 and old_computed == old_root and new_computed == new_root


def _skip_lone_levels(node: int, last: int) -> tuple[int, int]:
    """Climb from a left child on the right edge while it has no sibling (it is its parent's only child)."""
    while node and not node & 1:
        node, last = node >> 1, last >> 1
    return node, last


def _left_size(size: int) -> int:
    """The leaves in the left subtree of a tree of ``size`` >= 2: the largest power of two below ``size``."""
    return 1 << ((size - 1).bit_length() - 1)


def _checked_hash(value: bytes, what: str) -> bytes:
    if not _are_hashes(value):
        raise ValueError(f"a {what} is {_DIGEST_SIZE} bytes (SHA-256), not {value!r:.80}")
    return value


def _are_hashes(*values: bytes) -> bool:
    return all(isinstance(value, bytes) and len(value) == _DIGEST_SIZE for value in values)
