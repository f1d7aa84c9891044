"""tier3.ledger.merkle: the RFC 9162 tree against Certificate Transparency's known answers and against a naive
reference written from the RFC's definitions; its proofs verify, and stop verifying when anything is changed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import pytest

from tier3.ledger import merkle
from tier3.ledger.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    extend_frontier,
    leaf_hash,
    node_hash,
    root_of_frontier,
    verify_consistency,
    verify_inclusion,
)

# Known answers from transparency-dev/merkle, the Go library of Certificate Transparency and Trillian:
# proof/verify_test.go (the eight leaves, the roots of sizes 1..8, inclusion and consistency proofs; that file
# numbers leaves from 1, the indices below are from 0) and rfc6962/rfc6962_test.go (the leaf and node hashes).
VECTOR_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
VECTOR_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
VECTOR_INCLUSION: list[tuple[int, int, list[str]]] = [  # (index, size, proof)
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
VECTOR_CONSISTENCY: list[tuple[int, int, list[str]]] = [  # (old size, new size, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
VECTOR_TREE = MerkleTree(leaf_hash(leaf) for leaf in VECTOR_LEAVES)

MAX_SIZE = 40
LEAVES = [leaf_hash(b"entry %d" % number) for number in range(MAX_SIZE + 1)]
TREE = MerkleTree(LEAVES)


def hexes(hashes: Sequence[bytes]) -> list[str]:
    return [value.hex() for value in hashes]


def flipped(value: bytes, position: int = 0) -> bytes:
    return value[:position] + bytes([value[position] ^ 0x10]) + value[position + 1 :]


# The naive reference: RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 word for word, recursive, on lists of leaf hashes.
def reference_split(size: int) -> int:
    split = 1
    while split * 2 < size:
        split *= 2
    return split


def reference_root(leaves: Sequence[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    split = reference_split(len(leaves))
    return hashlib.sha256(b"\x01" + reference_root(leaves[:split]) + reference_root(leaves[split:])).digest()


def reference_path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    split = reference_split(len(leaves))
    if index < split:
        return [*reference_path(index, leaves[:split]), reference_root(leaves[split:])]
    return [*reference_path(index - split, leaves[split:]), reference_root(leaves[:split])]


def reference_subproof(old_size: int, leaves: Sequence[bytes], whole_old_tree: bool) -> list[bytes]:
    if old_size == len(leaves):
        return [] if whole_old_tree else [reference_root(leaves)]
    split = reference_split(len(leaves))
    if old_size <= split:
        return [*reference_subproof(old_size, leaves[:split], whole_old_tree), reference_root(leaves[split:])]
    return [*reference_subproof(old_size - split, leaves[split:], False), reference_root(leaves[:split])]


def test_hashes_are_domain_separated_sha256() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert leaf_hash(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    assert node_hash(b"N123", b"N456").hex() == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    left, right = leaf_hash(b"left"), leaf_hash(b"right")
    assert node_hash(left, right) != leaf_hash(left + right) != node_hash(right, left)


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_the_ct_vectors(size: int) -> None:
    assert VECTOR_TREE.root(size).hex() == VECTOR_ROOTS[size - 1]
    assert MerkleTree(leaf_hash(leaf) for leaf in VECTOR_LEAVES[:size]).root().hex() == VECTOR_ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "proof"), VECTOR_INCLUSION)
def test_inclusion_proofs_of_the_ct_vectors(index: int, size: int, proof: list[str]) -> None:
    assert hexes(VECTOR_TREE.inclusion_proof(index, size)) == proof
    leaf = leaf_hash(VECTOR_LEAVES[index])
    assert verify_inclusion(leaf, index, size, [bytes.fromhex(h) for h in proof], bytes.fromhex(VECTOR_ROOTS[size - 1]))


@pytest.mark.parametrize(("old_size", "new_size", "proof"), VECTOR_CONSISTENCY)
def test_consistency_proofs_of_the_ct_vectors(old_size: int, new_size: int, proof: list[str]) -> None:
    assert hexes(VECTOR_TREE.consistency_proof(old_size, new_size)) == proof
    old_root, new_root = bytes.fromhex(VECTOR_ROOTS[old_size - 1]), bytes.fromhex(VECTOR_ROOTS[new_size - 1])
    assert verify_consistency(old_size, new_size, old_root, new_root, [bytes.fromhex(h) for h in proof])


def test_the_empty_tree() -> None:
    tree = MerkleTree()
    assert (tree.size, tree.root(), tree.frontier()) == (0, EMPTY_ROOT, [])
    assert TREE.root(0) == EMPTY_ROOT == root_of_frontier([])


@pytest.mark.parametrize("size", range(MAX_SIZE + 1))
def test_roots_of_every_size_match_the_reference(size: int) -> None:
    grown = MerkleTree()
    for leaf in LEAVES[:size]:
        grown.append(leaf)
    assert grown.size == size
    assert grown.root() == TREE.root(size) == MerkleTree(LEAVES[:size]).root() == reference_root(LEAVES[:size])


InclusionArguments = tuple[bytes, int, int, list[bytes], bytes]  # leaf, index, size, proof, root
ConsistencyArguments = tuple[int, int, bytes, bytes, list[bytes]]  # old size, new size, old root, new root, proof


def each_flipped(proof: list[bytes]) -> list[tuple[int, list[bytes]]]:
    """The proof with one hash flipped, for each position."""
    return [(position, [flipped(h) if n == position else h for n, h in enumerate(proof)])
            for position in range(len(proof))]


def inclusion_forgeries(index: int, size: int, proof: list[bytes]) -> dict[str, InclusionArguments]:
    """Changed arguments to verify_inclusion, none of which may verify. A size one off is claimed with its own
    root: RFC 9162 does not bind the size into the hashes (the signature over the head binds the pair), and a
    proof for size n does verify the root of n as a tree of n + 1 leaves when the proof's shape allows it."""
    leaf, root = LEAVES[index], TREE.root(size)
    forgeries: dict[str, InclusionArguments] = {
        "other leaf": (leaf_hash(b"not in the log"), index, size, proof, root),
        "flipped root": (leaf, index, size, proof, flipped(root, 31)),
        "empty root": (leaf, index, size, proof, EMPTY_ROOT),
        "root of the next size": (leaf, index, size, proof, TREE.root(size + 1)),
        "size * 2": (leaf, index, size * 2, proof, root),
        "size / 2": (leaf, index, size // 2, proof, root),
        "size - 1, its root": (leaf, index, size - 1, proof, TREE.root(size - 1)),
        "size + 1, its root": (leaf, index, size + 1, proof, TREE.root(size + 1)),
        "root appended": (leaf, index, size, [*proof, root], root),
        "root prepended": (leaf, index, size, [root, *proof], root),
        "empty hash appended": (leaf, index, size, [*proof, b""], root),
    }
    for other in {index - 1, index + 1, index ^ 2} - {index}:
        forgeries[f"index {other}"] = (leaf, other, size, proof, root)
    if size > 1:
        forgeries["leaf of another index"] = (LEAVES[(index + 1) % size], index, size, proof, root)
        forgeries["truncated"] = (leaf, index, size, proof[:-1], root)
        forgeries["first sibling dropped"] = (leaf, index, size, proof[1:], root)
        forgeries["last sibling repeated"] = (leaf, index, size, [*proof, proof[-1]], root)
    if len(proof) > 1:
        forgeries["first two swapped"] = (leaf, index, size, [proof[1], proof[0], *proof[2:]], root)
    for position, changed in each_flipped(proof):
        forgeries[f"proof[{position}] flipped"] = (leaf, index, size, changed, root)
    return forgeries


@pytest.mark.parametrize("size", range(1, MAX_SIZE + 1))
def test_inclusion_proofs_match_the_reference_verify_and_resist_forgery(size: int) -> None:
    for index in range(size):
        proof = TREE.inclusion_proof(index, size)
        assert proof == reference_path(index, LEAVES[:size]) == MerkleTree(LEAVES[:size]).inclusion_proof(index)
        assert verify_inclusion(LEAVES[index], index, size, proof, TREE.root(size))
        forgeries = inclusion_forgeries(index, size, proof)
        assert [name for name, arguments in forgeries.items() if verify_inclusion(*arguments)] == []


def consistency_forgeries(old_size: int, new_size: int, proof: list[bytes]) -> dict[str, ConsistencyArguments]:
    """Changed arguments to verify_consistency (old size < new size), none of which may verify. As for
    inclusion, a new size one off is claimed with its own root."""
    old_root, new_root = TREE.root(old_size), TREE.root(new_size)
    forgeries: dict[str, ConsistencyArguments] = {
        "flipped old root": (old_size, new_size, flipped(old_root, 31), new_root, proof),
        "flipped new root": (old_size, new_size, old_root, flipped(new_root, 31), proof),
        "empty old root": (old_size, new_size, EMPTY_ROOT, new_root, proof),
        "old root of the size before": (old_size, new_size, TREE.root(old_size - 1), new_root, proof),
        "new root of the next size": (old_size, new_size, old_root, TREE.root(new_size + 1), proof),
        "swapped roots": (old_size, new_size, new_root, old_root, proof),
        "new size * 2": (old_size, new_size * 2, old_root, new_root, proof),
        "new size / 2": (old_size, new_size // 2, old_root, new_root, proof),
        "new size - 1, its root": (old_size, new_size - 1, old_root, TREE.root(new_size - 1), proof),
        "new size + 1, its root": (old_size, new_size + 1, old_root, TREE.root(new_size + 1), proof),
        "empty proof": (old_size, new_size, old_root, new_root, []),
        "truncated": (old_size, new_size, old_root, new_root, proof[:-1]),
        "first hash dropped": (old_size, new_size, old_root, new_root, proof[1:]),
        "old root appended": (old_size, new_size, old_root, new_root, [*proof, old_root]),
        "new root appended": (old_size, new_size, old_root, new_root, [*proof, new_root]),
        "old root prepended": (old_size, new_size, old_root, new_root, [old_root, *proof]),
        "new root prepended": (old_size, new_size, old_root, new_root, [new_root, *proof]),
        "first hash repeated": (old_size, new_size, old_root, new_root, [proof[0], *proof]),
    }
    for other in {old_size - 1, old_size + 1, old_size ^ 2} - {old_size}:
        forgeries[f"old size {other}, old root"] = (other, new_size, old_root, new_root, proof)
        if 0 < other <= new_size:
            forgeries[f"old size {other}, its root"] = (other, new_size, TREE.root(other), new_root, proof)
    if len(proof) > 1:
        forgeries["first two swapped"] = (old_size, new_size, old_root, new_root, [proof[1], proof[0], *proof[2:]])
    for position, changed in each_flipped(proof):
        forgeries[f"proof[{position}] flipped"] = (old_size, new_size, old_root, new_root, changed)
    return forgeries


@pytest.mark.parametrize("new_size", range(1, MAX_SIZE + 1))
def test_consistency_proofs_match_the_reference_verify_and_resist_forgery(new_size: int) -> None:
    new_root = TREE.root(new_size)
    assert TREE.consistency_proof(new_size, new_size) == []
    assert verify_consistency(new_size, new_size, new_root, new_root, [])
    assert not verify_consistency(new_size, new_size, new_root, new_root, [new_root])
    assert not verify_consistency(new_size, new_size, TREE.root(new_size - 1), new_root, [])
    for old_size in range(1, new_size):
        proof = TREE.consistency_proof(old_size, new_size)
        assert proof == reference_subproof(old_size, LEAVES[:new_size], True)
        assert proof == MerkleTree(LEAVES[:new_size]).consistency_proof(old_size)
        assert verify_consistency(old_size, new_size, TREE.root(old_size), new_root, proof)
        forgeries = consistency_forgeries(old_size, new_size, proof)
        assert [name for name, arguments in forgeries.items() if verify_consistency(*arguments)] == []


@pytest.mark.parametrize("size", range(MAX_SIZE + 1))
def test_the_frontier_is_the_perfect_subtrees_largest_first(size: int) -> None:
    frontier = TREE.frontier(size)
    widths = [1 << bit for bit in range(size.bit_length() - 1, -1, -1) if size >> bit & 1]
    starts = [sum(widths[:position]) for position in range(len(widths))]
    pieces = zip(starts, widths, strict=True)
    assert frontier == [reference_root(LEAVES[start : start + width]) for start, width in pieces]
    assert root_of_frontier(frontier) == TREE.root(size) == reference_root(LEAVES[:size])
    assert MerkleTree(LEAVES[:size]).frontier() == frontier


@pytest.mark.parametrize("new_size", range(MAX_SIZE + 1))
def test_extending_a_frontier_gives_the_frontier_of_the_longer_tree(new_size: int) -> None:
    for old_size in range(new_size + 1):
        old_frontier = TREE.frontier(old_size)
        kept = list(old_frontier)
        assert extend_frontier(old_frontier, old_size, LEAVES[old_size:new_size]) == TREE.frontier(new_size)
        assert old_frontier == kept  # pure: the verifier's stored frontier is not changed
    assert root_of_frontier(extend_frontier([], 0, iter(LEAVES[:new_size]))) == TREE.root(new_size)


def test_a_long_log_costs_logarithmic_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """100,000 appends with a root every 1,000: each root costs one node hash per set bit of the size, each
    append one amortised, each proof O(log n); counted, not timed."""
    counted = {"hashes": 0}
    real_node_hash = merkle.node_hash

    def counting_node_hash(left: bytes, right: bytes) -> bytes:
        counted["hashes"] += 1
        return real_node_hash(left, right)

    def hashes_of(action: Callable[[], object]) -> int:
        before = counted["hashes"]
        action()
        return counted["hashes"] - before

    monkeypatch.setattr(merkle, "node_hash", counting_node_hash)
    tree = MerkleTree()
    frontier: list[bytes] = []
    leaves: list[bytes] = []
    for start in range(0, 100_000, 1_000):
        batch = [leaf_hash(b"mail %d" % number) for number in range(start, start + 1_000)]
        leaves.extend(batch)
        assert hashes_of(lambda batch=batch: [tree.append(leaf) for leaf in batch]) <= len(batch) + 17
        assert hashes_of(tree.root) == tree.size.bit_count() - 1
        frontier = extend_frontier(frontier, start, batch)
        assert root_of_frontier(frontier) == tree.root()
    assert tree.size == 100_000
    root = tree.root()
    assert root == reference_root(leaves)
    for index in (0, 12_345, 65_535, 65_536, 99_999):
        assert hashes_of(lambda index=index: tree.inclusion_proof(index)) <= 17
        assert verify_inclusion(leaves[index], index, tree.size, tree.inclusion_proof(index), root)
    for old_size in (1, 999, 65_536, 99_999, 100_000):
        assert hashes_of(lambda old_size=old_size: tree.consistency_proof(old_size)) <= 17
        assert verify_consistency(old_size, tree.size, tree.root(old_size), root, tree.consistency_proof(old_size))


FIVE = MerkleTree(LEAVES[:5])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: MerkleTree().root(1), "size 1 is outside the tree of 0 leaves"),
        (lambda: FIVE.root(6), "size 6 is outside"),
        (lambda: FIVE.root(-1), "size -1 is outside"),
        (lambda: FIVE.frontier(6), "size 6 is outside"),
        (lambda: FIVE.inclusion_proof(5), "leaf index 5 is not in a tree of 5 leaves"),
        (lambda: FIVE.inclusion_proof(-1), "leaf index -1"),
        (lambda: FIVE.inclusion_proof(3, 3), "leaf index 3 is not in a tree of 3 leaves"),
        (lambda: FIVE.inclusion_proof(0, 0), "leaf index 0 is not in a tree of 0 leaves"),
        (lambda: FIVE.inclusion_proof(0, 6), "size 6 is outside"),
        (lambda: FIVE.consistency_proof(0), "needs 0 < old size <= new size, not 0 and 5"),
        (lambda: FIVE.consistency_proof(4, 3), "not 4 and 3"),
        (lambda: FIVE.consistency_proof(6), "not 6 and 5"),
        (lambda: FIVE.consistency_proof(2, 6), "size 6 is outside"),
        (lambda: FIVE.append(b"mail"), "leaf hash is 32 bytes"),
        (lambda: MerkleTree([LEAVES[0], LEAVES[1] + b"\x00"]), "leaf hash is 32 bytes"),
        (lambda: extend_frontier([], 1, []), "a frontier of 1 leaves holds 1 hashes, not 0"),
        (lambda: extend_frontier(FIVE.frontier(), 4, []), "holds 1 hashes, not 2"),
        (lambda: extend_frontier([], -1, []), "a frontier of -1 leaves"),
        (lambda: extend_frontier(FIVE.frontier(), 5, [b"mail"]), "leaf hash is 32 bytes"),
        (lambda: extend_frontier([b"short"], 1, []), "frontier hash is 32 bytes"),
    ],
)
def test_out_of_range_arguments_raise(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
    assert FIVE.size == 5  # a refused append leaves the tree as it was
    assert FIVE.root() == TREE.root(5)


@pytest.mark.parametrize(
    "arguments",
    [
        (LEAVES[0], 0, 0, [], EMPTY_ROOT),
        (LEAVES[0], -1, 5, FIVE.inclusion_proof(0), FIVE.root()),
        (LEAVES[0], 5, 5, FIVE.inclusion_proof(0), FIVE.root()),
        (LEAVES[0][:31], 0, 1, [], LEAVES[0][:31]),
        (LEAVES[0], 0, 5, [*FIVE.inclusion_proof(0)[:-1], b"short"], FIVE.root()),
        (LEAVES[0], 0, 5, FIVE.inclusion_proof(0), FIVE.root() + b"\x00"),
    ],
)
def test_verify_inclusion_refuses_malformed_arguments_without_raising(arguments: InclusionArguments) -> None:
    assert verify_inclusion(*arguments) is False


@pytest.mark.parametrize(
    "arguments",
    [
        (0, 5, EMPTY_ROOT, FIVE.root(), []),
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, []),
        (-1, 5, EMPTY_ROOT, FIVE.root(), []),
        (5, 3, FIVE.root(), TREE.root(3), FIVE.consistency_proof(3)),
        (3, 5, TREE.root(3), FIVE.root(), [*FIVE.consistency_proof(3)[:-1], b"short"]),
        (3, 5, TREE.root(3)[:31], FIVE.root(), FIVE.consistency_proof(3)),
        (5, 5, b"", b"", []),
    ],
)
def test_verify_consistency_refuses_malformed_arguments_without_raising(arguments: ConsistencyArguments) -> None:
    assert verify_consistency(*arguments) is False
