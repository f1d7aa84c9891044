"""The mail archive's stores: encrypted write-once objects, a chained log, signed heads, retention and holds.

The format (log, Merkle tree, heads, retention) is tier3.ledger's; this package writes stores and judges them.
"""
