"""The inventory: read it (without Ansible, fast), check it against its schemas, build the Topology.

Schemas are data, one cerberus YAML per object kind (site, host, vip, firewall_pair, load, mail, drill, dns,
reliability, targets), checked
by a compiled equivalent of the cerberus rules they use (see ``compiled``). ``load_topology``
raises ``InventorySchemaErrors`` (an ``InventoryError``) listing every problem with file, key and fix.
"""

from tier3.schema.errors import InventorySchemaErrors
from tier3.schema.loader import TOPOLOGY_VARS, LoadedInventory, load_inventory, load_topology
from tier3.schema.yamlio import Vaulted

__all__ = ["TOPOLOGY_VARS", "InventorySchemaErrors", "LoadedInventory", "Vaulted", "load_inventory", "load_topology"]
