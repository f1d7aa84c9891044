"""Observed rules (``T3-OBS-*``): judgement of the facts the parsers read from hosts and BMCs.

One module per capability, named as its parser is (``tier3.parsers.mdstat`` ->
``tier3.rules.observed.md``); each rule names the inspect kinds whose facts it judges and the
policy values it reads (the drill rules judge what a failover drill measured, ``tier3.drill``, not a
parser's facts). Importing this package registers them all.
"""

from tier3.rules.observed import (  # noqa: F401  (register)
    archive,
    bonding,
    crypt,
    dns,
    drill,
    listener,
    logs,
    mail,
    md,
    multipath,
    power,
    power_declared,
    tls_scan,
    topology_crypt,
    topology_network,
    topology_storage,
    vip,
)
