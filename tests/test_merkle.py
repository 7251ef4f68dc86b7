"""The Merkle tree against the published RFC 6962 test vectors, and proofs that must fail."""

from __future__ import annotations

import hashlib
import itertools

import pytest

from generator.ledger import merkle

# The RFC 6962 reference test data (certificate-transparency's merkle tree tests): eight
# leaf inputs and the tree heads of their first 1..8 leaves.
LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
HASHES = [merkle.leaf_hash(x) for x in LEAVES]


def test_empty_tree_and_leaf_hash():
    assert merkle.root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_published_vectors(size):
    assert merkle.root(HASHES[:size]).hex() == ROOTS[size - 1]


def test_a_published_inclusion_path():
    """Leaf 0 of the 8-leaf tree (RFC 6962 test data)."""
    assert [p.hex() for p in merkle.inclusion_proof(HASHES, 0)] == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]


def test_every_inclusion_proof_verifies_and_a_wrong_one_does_not():
    many = [merkle.leaf_hash(str(i).encode()) for i in range(37)]
    for size in range(1, len(many) + 1):
        head = merkle.root(many[:size])
        for index in range(size):
            proof = merkle.inclusion_proof(many[:size], index)
            assert merkle.verify_inclusion(many[index], index, size, proof, head)
            assert not merkle.verify_inclusion(many[index], index, size, proof, hashlib.sha256(b"x").digest())
            if size > 1:
                other = (index + 1) % size
                assert not merkle.verify_inclusion(many[other], index, size, proof, head)
                assert not merkle.verify_inclusion(many[index], index, size, proof[:-1], head)


def test_every_consistency_proof_verifies_and_a_rewritten_history_does_not():
    many = [merkle.leaf_hash(str(i).encode()) for i in range(25)]
    for old, new in itertools.combinations_with_replacement(range(1, len(many) + 1), 2):
        proof = merkle.consistency_proof(many[:new], old)
        old_root, new_root = merkle.root(many[:old]), merkle.root(many[:new])
        assert merkle.verify_consistency(old, new, old_root, new_root, proof), (old, new)
        if old < new:
            rewritten = [merkle.leaf_hash(b"forged"), *many[1:new]]
            assert not merkle.verify_consistency(old, new, old_root, merkle.root(rewritten), proof)
            assert not merkle.verify_consistency(old, new, merkle.root(rewritten[:old]), new_root, proof)


def test_log_leaves_are_the_lines_without_newline():
    raw = b'{"a":1}\n{"b":2}\n'
    assert merkle.log_leaves(raw) == [merkle.leaf_hash(b'{"a":1}'), merkle.leaf_hash(b'{"b":2}')]


def test_frontier_gives_every_head_and_resumes_from_its_saved_hashes():
    leaves = [merkle.leaf_hash(str(n).encode()) for n in range(70)]
    frontier = merkle.Frontier()
    assert frontier.head() == merkle.EMPTY_ROOT
    for size in range(1, len(leaves) + 1):
        frontier.append(leaves[size - 1])
        assert frontier.head() == merkle.root(leaves[:size]), size
        assert len(frontier.heads) == bin(size).count("1")
        again = merkle.Frontier(frontier.size, frontier.heads)  # as kept in a witness's state.json
        assert again.head() == frontier.head()
    with pytest.raises(ValueError):
        merkle.Frontier(3, frontier.heads[:1])
