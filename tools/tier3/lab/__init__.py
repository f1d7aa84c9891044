"""The local lab: systemd containers under Podman from a locally built Debian 12 image.

Layers: ``hosts`` (the table; each host names its backend), ``recipe`` (image recipe and hash, apt
sources), ``podman`` (argument builders and the runner), ``inventory`` (the generated
inventory/lab), ``secrets`` (the lab's passwords and DKIM key, made once and kept),
``image`` (debootstrap and import), ``backends`` (how each kind of host is run: ``container``, and
``vm`` for the metal hosts: ``metal`` their table, ``guest_image``, ``qemu``, ``switches``, ``bmc``,
``guest``, ``faults``, ``metal_inventory``), ``control`` (up, down, status, faults over the
backends). See docs/lab.md.
"""

from __future__ import annotations

from tier3.lab.control import (
    DownResult,
    HostStatus,
    UpResult,
    down,
    ensure_lab_image,
    fault,
    metal_parts,
    status,
    up,
)

__all__ = ["DownResult", "HostStatus", "UpResult", "down", "ensure_lab_image", "fault", "metal_parts", "status", "up"]
