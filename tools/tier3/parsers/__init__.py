"""Parsers of real tool output: pure functions from text (or JSON text) to frozen dataclasses.

One module per tool (bonding, mdstat, mdadm, multipath, cryptsetup, lsblk, lldp, iplink; redfish and
ipmi for BMCs). Each raises ``tier3.errors.ParseError`` naming the source, the line (``line N``) or
JSON pointer, and what was expected, on anything malformed, and never any other exception. They
import only ``tier3.model`` and ``tier3.errors``; the verdicts they compute are explained in
docs/inspect.md.
"""
