"""A lab-like site for the DNS probe tests: the inventory's variables as the controller holds them (hostvars,
groups), and the zone file roles/dns_authoritative renders from them (its vars/main.yml, written out here
with tier3.dns.zone, as the role's filter calls it)."""

from __future__ import annotations

import base64
import copy
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tier3.dns import tlsa as dns_tlsa
from tier3.dns import zone as dns_zone

DOMAIN = "lab.tier3.test"
SERVERS = {"dns1": "127.0.0.1", "dns2": "127.0.0.2"}  # two loopback addresses: two servers on one port
MX = {"mx1": "10.89.30.11", "mx2": "10.89.30.12"}
SMTP_VIP = "10.89.30.100"


def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()


def public_key(private_pem: str) -> str:
    """As the role derives it (openssl_privatekey_info's public_key, its PEM lines joined)."""
    key = serialization.load_pem_private_key(private_pem.encode(), None)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    joined = "".join(line for line in pem.splitlines() if "-----" not in line)
    assert base64.b64decode(joined)  # what it is: base64 DER
    return joined


def mail(dkim_pem: str) -> dict[str, Any]:
    return {"hostname": f"mail.{DOMAIN}", "imap_hostname": f"imap.{DOMAIN}", "domains": [{
        "name": DOMAIN, "dkim": [{"selector": "lab2026", "private_key": dkim_pem}],
        "dmarc": {"policy": "reject", "rua": f"mailto:dmarc@{DOMAIN}"},
        "mta_sts": {"mode": "testing", "max_age": 86400},
        "tls_rpt": f"mailto:tlsrpt@{DOMAIN}"}]}


VIPS = [
    {"name": "lab-smtp", "address": SMTP_VIP, "network": "10.89.30.0/24", "vrid": 51,
     "services": ["smtp", "submission"],
     "members": [{"host": "lb1", "priority": 150}, {"host": "lb2", "priority": 100}]},
    {"name": "lab-imap", "address": "10.89.30.101", "network": "10.89.30.0/24", "vrid": 52,
     "services": ["imap", "imaps"], "members": [{"host": "lb2", "priority": 150}, {"host": "lb1", "priority": 100}]},
]


def site(dkim_pem: str, *, certificate_pem: str = "", mx_addresses: bool = True,
         ) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]]]:
    """(hostvars, groups) of the site: group_vars/all on every host, each host's tier3_host and address."""
    everyone = {"tier3_mail": mail(dkim_pem), "tier3_vips": VIPS, "tier3_dns": {
        "primary": "dns1", "contact": f"hostmaster@{DOMAIN}", "ttl": 300}}
    if certificate_pem:
        everyone.update(pki_mode="provided", pki_certificate=certificate_pem)
    else:
        everyone["pki_mode"] = "internal_ca"
    addresses = {**SERVERS, **(MX if mx_addresses else {}), "lb1": "10.89.30.21", "lb2": "10.89.30.22"}
    hosts = ["dns1", "dns2", "mx1", "mx2", "lb1", "lb2"]
    hostvars = {h: {**copy.deepcopy(everyone), "tier3_host": {"site": "lab"}, "ansible_host": f"tier3-lab-{h}",
                    **({"tier3_lab_address": addresses[h]} if h in addresses else {})} for h in hosts}
    groups = {"dns": ["dns1", "dns2"], "mx": ["mx1", "mx2"], "lb": ["lb1", "lb2"], "all": hosts}
    return hostvars, groups


def rendered(hostvars: Mapping[str, Mapping[str, Any]], groups: Mapping[str, Sequence[str]], *, serial: int = 1,
             domain: Mapping[str, Any] | None = None, dkim: Mapping[str, str] | None = None,
             certificates: Sequence[str] = ()) -> str:
    """The zone file of the site's domain as roles/dns_authoritative renders it (``domain`` and ``dkim``
    replace the inventory's, to serve a defect); TLSA from ``certificates`` (PEM), as the role reads them."""
    primary = hostvars["dns1"]
    the_mail = primary["tier3_mail"]
    the_domain = domain or the_mail["domains"][0]
    nameservers = [{"name": f"{h}.{DOMAIN}", "addresses": [hostvars[h]["tier3_lab_address"]]} for h in groups["dns"]]
    sites = {h: v["tier3_host"]["site"] for h, v in hostvars.items()}
    mx_names = dns_zone.mx_hosts(the_mail, primary["tier3_vips"], sites, groups["lb"])
    digests = sorted({dns_tlsa.spki_sha256(pem) for pem in certificates})
    keys = dkim if dkim is not None else {e["selector"]: public_key(e["private_key"]) for e in the_domain["dkim"]}
    egress = [hostvars[h]["tier3_lab_address"] for h in groups["mx"] if "tier3_lab_address" in hostvars[h]]
    records = dns_zone.records(the_domain, the_mail, primary["tier3_vips"], sites, nameservers, dkim=keys,
                               tlsa=dict.fromkeys(mx_names, digests), egress=egress, balancers=groups["lb"], ttl=300)
    return dns_zone.render(DOMAIN, records, f"dns1.{DOMAIN}", f"hostmaster@{DOMAIN}", serial=serial, ttl=300)
