"""Observed rules (``T3-OBS-*``): judgement of the facts the parsers read from hosts and BMCs.

One module per capability, named as its parser is (``tier3.parsers.mdstat`` ->
``tier3.rules.observed.md``); each rule names the inspect kinds whose facts it judges and the
policy values it reads. Importing this package registers them all.
"""

from tier3.rules.observed import bonding, crypt, md, multipath, power  # noqa: F401  (register)
