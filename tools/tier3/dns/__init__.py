"""DNS records of the mail domains, generated from inventory data: pure functions, no I/O.

``tier3.dns.spf`` builds a domain's SPF record and counts the DNS lookups it costs (RFC 7208
4.6.4). The declared rule T3-DNS-001 (``tier3.rules.dns``, layer 2) imports it, so ``tier3.dns`` sits
below the rules in the layer table (tests/unit/test_layering.py), beside ``parsers``: it imports
nothing of tier3 above ``model``.
"""
