# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Filters tier3.dc.tier3_dns_zone, tier3_dns_mx_names, tier3_dns_mta_sts_policies, tier3_dns_spki_sha256: the
mail domains' zones for roles/dns_authoritative and their MTA-STS policy files for roles/haproxy, computed on the
controller by the library the rules use (tier3.dns), so the policy served is the one the zone's id hashes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.tier3.dc.plugins.plugin_utils.tier3_package import missing, use_bundled

use_bundled()

try:
    from tier3.dns import tlsa as _tlsa
    from tier3.dns import zone as _zone
except ImportError as exc:  # neither bundled nor installed
    MISSING: str | None = missing(exc)
else:
    MISSING = None

DOCUMENTATION = r"""
---
name: tier3_dns_zone
short_description: The zone file of one mail domain, from inventory data
version_added: "0.1.0"
description:
  - Renders the RFC 1035 zone file of an entry of C(tier3_mail.domains) with tier3.dns.zone (the library
    behind the declared DNS rules), with NS (and glue), one MX per site at priority 10, A/AAAA of the mail
    names, SPF, DKIM, DMARC, MTA-STS, TLS-RPT and TLSA records. Deterministic; the SOA serial is a
    placeholder that Knot replaces.
  - Also in this file, C(tier3_dns_mx_names) (MX name to its addresses, one per site),
    C(tier3_dns_mta_sts_policies) (C(tier3_mail) to a mapping domain to the text of its MTA-STS policy file, the
    text whose hash C(_mta-sts) publishes; positional C(vips), C(sites), C(balancers)) and
    C(tier3_dns_spki_sha256) (the C(3 1 1) TLSA digest of a PEM certificate).
positional: _input, mail, vips, sites, nameservers, primary_ns, contact
options:
  _input:
    description: The domain, an entry of C(tier3_mail.domains) (name, dmarc, spf, mta_sts, tls_rpt).
    type: dict
    required: true
  mail:
    description: C(tier3_mail) (hostname, imap_hostname).
    type: dict
    required: true
  vips:
    description: C(tier3_vips).
    type: list
    elements: dict
    required: true
  sites:
    description: Inventory host to its C(tier3_host.site); a VIP's site is its members'.
    type: dict
    required: true
  nameservers:
    description: The authoritative servers, C([{name, addresses}]).
    type: list
    elements: dict
    required: true
  primary_ns:
    description: The SOA MNAME, the primary's name.
    type: str
    required: true
  contact:
    description: The SOA RNAME as an address (C(hostmaster@example.net)).
    type: str
    required: true
  dkim:
    description: Selector to public key (base64 SubjectPublicKeyInfo).
    type: dict
    default: {}
  tlsa:
    description: MX name to the SHA-256 digests of the SPKI of every certificate that may answer on it.
    type: dict
    default: {}
  ttl:
    description: Default TTL.
    type: int
    default: 3600
  egress:
    description: Addresses the MX hosts send from, added to SPF.
    type: list
    elements: str
    default: []
author:
  - tier3 contributors
"""

EXAMPLES = r"""
- name: The zone file of every mail domain
  ansible.builtin.debug:
    msg: >-
      {{ tier3_mail.domains[0] | tier3.dc.tier3_dns_zone(tier3_mail, tier3_vips, {'lb1': 'lab', 'lb2': 'lab'},
         [{'name': 'dns1.lab.tier3.test', 'addresses': ['10.89.30.31']}], 'dns1.lab.tier3.test',
         'hostmaster@lab.tier3.test', dkim={'lab2026': 'MIIBIjAN...'}) }}

- name: The MTA-STS policy file of every mail domain (roles/haproxy serves them)
  ansible.builtin.debug:
    msg: >-
      {{ tier3_mail | tier3.dc.tier3_dns_mta_sts_policies(tier3_vips, {'lb1': 'lab', 'lb2': 'lab'},
         ['lb1', 'lb2']) }}

- name: The TLSA digest of the host certificate
  ansible.builtin.debug:
    msg: "{{ lookup('ansible.builtin.file', '/etc/tier3/pki/tier3.crt') | tier3.dc.tier3_dns_spki_sha256 }}"
"""

RETURN = r"""
_value:
  description: The zone file text (tier3_dns_zone); a mapping MX name -> addresses (tier3_dns_mx_names); a mapping
    domain -> policy text (tier3_dns_mta_sts_policies); a hex digest (tier3_dns_spki_sha256).
  type: str
"""


def _ready() -> None:
    if MISSING:
        raise AnsibleFilterError(MISSING)


def tier3_dns_zone(  # noqa: PLR0917  (a Jinja filter takes its arguments positionally, as DOCUMENTATION says)
        domain: Mapping[str, Any], mail: Mapping[str, Any], vips: Sequence[Mapping[str, Any]],
                   sites: Mapping[str, str], nameservers: Sequence[Mapping[str, Any]], primary_ns: str, contact: str,
                   dkim: Mapping[str, str] | None = None, tlsa: Mapping[str, Sequence[str]] | None = None,
                   ttl: int = 3600, egress: Sequence[str] = (), balancers: Sequence[str] = ()) -> str:
    _ready()
    try:
        return _zone.zone(domain, mail, vips or [], sites or {}, nameservers, primary_ns=primary_ns, contact=contact,
                          dkim=dkim or {}, tlsa=tlsa or {}, ttl=int(ttl), egress=list(egress or []),
                          balancers=list(balancers or []))
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"tier3_dns_zone: domain {domain.get('name', '?')!r}: {exc}") from exc


def tier3_dns_mx_names(mail: Mapping[str, Any], vips: Sequence[Mapping[str, Any]],
                       sites: Mapping[str, str], balancers: Sequence[str] = ()) -> dict[str, list[str]]:
    _ready()
    return _zone.mx_hosts(mail, vips or [], sites or {}, list(balancers or []))


def tier3_dns_mta_sts_policies(mail: Mapping[str, Any], vips: Sequence[Mapping[str, Any]],
                               sites: Mapping[str, str], balancers: Sequence[str] = ()) -> dict[str, str]:
    _ready()
    try:
        return _zone.mta_sts_policies(mail or {}, vips or [], sites or {}, list(balancers or []))
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"tier3_dns_mta_sts_policies: tier3_mail.domains: {exc}") from exc


def tier3_dns_spki_sha256(certificate_pem: str) -> str:
    _ready()
    try:
        return _tlsa.spki_sha256(str(certificate_pem))
    except ValueError as exc:
        raise AnsibleFilterError(f"tier3_dns_spki_sha256: not a PEM certificate ({exc})") from exc


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "tier3_dns_zone": tier3_dns_zone,
            "tier3_dns_mx_names": tier3_dns_mx_names,
            "tier3_dns_mta_sts_policies": tier3_dns_mta_sts_policies,
            "tier3_dns_spki_sha256": tier3_dns_spki_sha256,
        }
