"""The firewall platforms' drivers, keyed by ``tier3_firewall_pairs[].platform``: one class each
(``tier3.firewall.platforms.base.Driver``), never an if-chain."""

from __future__ import annotations

from tier3.firewall.platforms.base import Driver
from tier3.firewall.platforms.cisco_asa import CiscoAsa
from tier3.firewall.platforms.fortinet import Fortinet
from tier3.firewall.platforms.juniper_junos import JuniperJunos
from tier3.firewall.platforms.linux import LinuxNftables
from tier3.firewall.platforms.paloalto_panos import PaloAltoPanos

DRIVERS: dict[str, type[Driver]] = {
    driver.platform: driver for driver in (LinuxNftables, CiscoAsa, JuniperJunos, Fortinet, PaloAltoPanos)
}

__all__ = ["DRIVERS", "Driver"]
