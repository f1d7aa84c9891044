"""The interface every renderer keeps: one pure function of a policy and a pair, one table (``RENDERERS``).

A renderer writes the complete managed part of one platform's configuration for one pair: every
object and rule of the policy, in the policy's order, and nothing else. The output is deterministic
(the same policy gives the same bytes) and is exactly what the platform's driver reads back from a
member that runs it (``Driver.running``), so a plan's diff is a plain line diff and a second push
finds nothing to change. Golden files under tests/fixtures/firewall/golden/ hold each renderer's
output for the shared test policies.
"""

from __future__ import annotations

from collections.abc import Callable

from tier3.model import FirewallPair
from tier3.model.firewall import FirewallPolicy

Renderer = Callable[[FirewallPolicy, FirewallPair], str]
