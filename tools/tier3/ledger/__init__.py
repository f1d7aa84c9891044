"""The archive's ledger: pure functions over its append-only log, its Merkle tree and its signed heads.

Standard library only (and ``cryptography`` for the head signatures), because the same files run on
the archive hosts (roles/archive installs them) and on the controller that verifies them: one
definition of the format, on both sides of the proof.

- ``log``: the entries (ingest, policy, hold, release, purge), their canonical bytes and their chain;
- ``merkle``: the RFC 9162 tree the entries are committed to, with inclusion and consistency proofs;
- ``heads``: the signed tree heads (Ed25519), one per sealed batch;
- ``retention``: how long each message is kept, and which holds cover it;
- ``examine``: what a snapshot of a store shows (the facts the T3-OBS-ARC rules judge).
"""
