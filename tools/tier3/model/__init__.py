"""Plain data shared by every layer: the declared or observed topology, and findings."""

from tier3.model.finding import Finding, Location, Severity, Status
from tier3.model.topology import (
    Bmc,
    Bond,
    BondMember,
    Fabric,
    Feed,
    FirewallPair,
    Host,
    MultipathLun,
    MultipathPath,
    Pdu,
    PowerSupply,
    RaidArray,
    Rack,
    ServiceLoad,
    Site,
    Switch,
    Topology,
    Vip,
    VipMember,
)

__all__ = [
    "Bmc", "Bond", "BondMember", "Fabric", "Feed", "Finding", "FirewallPair", "Host", "Location",
    "MultipathLun", "MultipathPath", "Pdu", "PowerSupply", "RaidArray", "Rack", "ServiceLoad",
    "Severity", "Site", "Status", "Switch", "Topology", "Vip", "VipMember",
]
