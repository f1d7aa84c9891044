"""The renderers, keyed by name (a driver names its renderer): pure functions of a policy and a pair."""

from __future__ import annotations

from tier3.firewall.render import cisco_asa, fortinet, juniper_srx, linux_nftables, paloalto_panos
from tier3.firewall.render.base import Renderer

RENDERERS: dict[str, Renderer] = {
    "linux_nftables": linux_nftables.render,
    "cisco_asa": cisco_asa.render,
    "juniper_srx": juniper_srx.render,
    "fortinet": fortinet.render,
    "paloalto_panos": paloalto_panos.render,
}

__all__ = ["RENDERERS", "Renderer"]
