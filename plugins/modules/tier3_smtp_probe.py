#!/usr/bin/python
# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Probe SMTP listeners: greeting, EHLO keywords before and after STARTTLS, the TLS version; one or a list."""

from __future__ import annotations

import smtplib
import socket
import ssl
import struct
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
---
module: tier3_smtp_probe
short_description: Read what SMTP listeners offer, before and after STARTTLS
description:
  - Connects to O(host):O(port), reads the greeting, sends EHLO, then (with O(starttls)) STARTTLS and EHLO again,
    and returns the EHLO keywords of both stages and the negotiated TLS version. Sends QUIT; never MAIL or AUTH.
  - With O(proxy_protocol) it first sends a PROXY protocol v2 header naming its own connection, as HAProxy does
    in front of C(postscreen_upstream_proxy_protocol) and C(smtpd_upstream_proxy_protocol) listeners.
  - With O(listeners) it probes several listeners in one call, one after the other in their order, and returns
    one record per listener in RV(listeners) (one task instead of a loop of module calls). Each entry takes the
    options of the single form; an option an entry leaves out is the top-level one (its default when unset).
    Every listener is probed even when one fails; the task fails when any did, naming each.
  - Read-only; the same in check mode.
options:
  host:
    description: Address to connect to (with O(listeners), for the entries that name none).
    type: str
    default: 127.0.0.1
  port:
    description: TCP port. Required unless O(listeners) is given; not with it.
    type: int
  listeners:
    description:
      - Several listeners probed in one call, in order; the result is RV(listeners). Not with O(port).
      - Each entry takes the options of the single form; one it leaves out is the top-level option's value.
    type: list
    elements: dict
    version_added: "0.2.0"
    suboptions:
      port:
        description: TCP port.
        type: int
        required: true
      host:
        description: Address to connect to. Default the top-level O(host).
        type: str
      proxy_protocol:
        description: Send a PROXY v2 header before reading the greeting. Default the top-level O(proxy_protocol).
        type: bool
      starttls:
        description: Send STARTTLS and EHLO again inside TLS. Default the top-level O(starttls).
        type: bool
      ca_file:
        description: Verify the certificate against this CA file. Default the top-level O(ca_file).
        type: path
      server_name:
        description: Name the certificate must carry; also sent as SNI. Default the top-level O(server_name).
        type: str
      helo:
        description: Name sent with EHLO. Default the top-level O(helo).
        type: str
      timeout:
        description: Seconds to wait for each answer. Default the top-level O(timeout).
        type: float
  proxy_protocol:
    description: Send a PROXY v2 header (TCP over IPv4) before reading the greeting.
    type: bool
    default: false
  starttls:
    description: Send STARTTLS after the first EHLO and EHLO again inside TLS.
    type: bool
    default: true
  ca_file:
    description:
      - Verify the server certificate against this CA file and O(server_name). Unset, the certificate is not
        checked (the probe is about what the listener offers).
    type: path
  server_name:
    description: Name the certificate must carry (with O(ca_file)); also sent as SNI.
    type: str
  helo:
    description: Name sent with EHLO.
    type: str
    default: localhost
  timeout:
    description: Seconds to wait for each answer (the greeting behind postscreen takes up to its greet wait).
    type: float
    default: 15
attributes:
  check_mode:
    support: full
    description: Only reads.
  diff_mode:
    support: none
    description: Nothing is changed.
author:
  - tier3 contributors
"""

EXAMPLES = r"""
- name: Submission offers STARTTLS and no AUTH before it
  tier3_smtp_probe:
    port: 587
  register: probe

- name: The HAProxy listener answers behind a PROXY v2 header
  tier3_smtp_probe:
    port: 10025
    proxy_protocol: true

- name: Four listeners in one call, each certificate checked against the CA and the service name
  tier3_smtp_probe:
    ca_file: /etc/tier3/pki/ca.crt
    server_name: mx.lab.tier3.test
    listeners:
      - {port: 25}
      - {port: 10025, proxy_protocol: true}
      - {port: 587}
      - {port: 10587, proxy_protocol: true}
  register: probes

- name: Every listener offers STARTTLS
  ansible.builtin.assert:
    that: probes.listeners | rejectattr('ehlo_plain', 'contains', 'starttls') | list == []
"""

RETURN = r"""
greeting_code:
  description: Reply code of the greeting (220 when the listener accepts mail).
  type: int
  returned: without O(listeners)
greeting:
  description: Text of the greeting.
  type: str
  returned: without O(listeners)
ehlo_plain:
  description: EHLO keywords before STARTTLS, lower case (C(starttls), C(auth), C(pipelining), ...).
  type: list
  elements: str
  returned: without O(listeners)
ehlo_tls:
  description: EHLO keywords inside TLS, lower case; empty without O(starttls).
  type: list
  elements: str
  returned: without O(listeners)
auth_plain:
  description: SASL mechanisms offered before STARTTLS (empty when AUTH is not offered).
  type: list
  elements: str
  returned: without O(listeners)
auth_tls:
  description: SASL mechanisms offered inside TLS.
  type: list
  elements: str
  returned: without O(listeners)
tls_version:
  description: Negotiated protocol (C(TLSv1.3), C(TLSv1.2)); empty without TLS.
  type: str
  returned: without O(listeners)
tls_cipher:
  description: Negotiated cipher; empty without TLS.
  type: str
  returned: without O(listeners)
listeners:
  description:
    - With O(listeners), one record per entry, in the same order, with the keys of the single form
      (RV(greeting_code), RV(greeting), RV(ehlo_plain), RV(ehlo_tls), RV(auth_plain), RV(auth_tls), RV(tls_version),
      RV(tls_cipher)) and the entry's listener.
    - A listener that could not be probed (refused, timed out, a TLS error) has C(failed=true), its C(msg), and
      the keys of the single form empty (C(greeting_code) 0); the task then fails.
  type: list
  elements: dict
  returned: with O(listeners)
  contains:
    host:
      description: The address probed.
      type: str
    port:
      description: The port probed.
      type: int
    proxy_protocol:
      description: Whether a PROXY v2 header was sent.
      type: bool
    failed:
      description: Whether the probe of this listener failed.
      type: bool
    msg:
      description: "Why it failed: C(HOST:PORT: EXCEPTION: DETAIL); empty when it did not."
      type: str
"""

PROXY_V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def proxy_v2_header(sock: socket.socket) -> bytes:
    """A PROXY v2 PROXY command for TCP over IPv4 naming this connection's own endpoints."""
    src_host, src_port = sock.getsockname()[:2]
    dst_host, dst_port = sock.getpeername()[:2]
    addresses = socket.inet_aton(src_host) + socket.inet_aton(dst_host) + struct.pack("!HH", src_port, dst_port)
    return PROXY_V2_SIGNATURE + bytes([0x21, 0x11]) + struct.pack("!H", len(addresses)) + addresses


class ProbeSMTP(smtplib.SMTP):
    """smtplib.SMTP that can send a PROXY v2 header before the greeting and check TLS against another name."""

    def __init__(self, timeout: float, proxy_protocol: bool, server_name: str | None) -> None:
        self.proxy_protocol = proxy_protocol
        self.server_name = server_name
        super().__init__(timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        # smtplib's own hook between connecting and reading the greeting (not in typeshed)
        sock: socket.socket = super()._get_socket(host, port, timeout)  # type: ignore[misc]
        if self.proxy_protocol:
            sock.sendall(proxy_v2_header(sock))
        return sock

    def connect(self, host: str = "localhost", port: int = 0, source_address: Any = None) -> tuple[int, bytes]:
        reply = super().connect(host, port, source_address)
        # starttls() sends _host as SNI and checks the certificate against it; smtplib leaves it empty when the
        # constructor had no host (ssl refuses an empty server_hostname), so the address stands in for a name
        self._host = self.server_name or host
        return reply


def keywords(smtp: smtplib.SMTP) -> list[str]:
    return sorted(smtp.esmtp_features)


def mechanisms(smtp: smtplib.SMTP) -> list[str]:
    return sorted(smtp.esmtp_features.get("auth", "").upper().split())


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def probe(params: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {"ehlo_tls": [], "auth_tls": [], "tls_version": "", "tls_cipher": ""}
    with ProbeSMTP(params["timeout"], params["proxy_protocol"], params["server_name"]) as smtp:
        result["greeting_code"], greeting = smtp.connect(params["host"], params["port"])
        result["greeting"] = greeting.decode(errors="replace")
        result["ehlo_plain"], result["auth_plain"] = [], []
        if result["greeting_code"] != 220:
            return result
        smtp.ehlo(params["helo"])
        result["ehlo_plain"], result["auth_plain"] = keywords(smtp), mechanisms(smtp)
        if params["starttls"]:
            context = tls_context(params["ca_file"])
            smtp.starttls(context=context)
            smtp.ehlo(params["helo"])
            result["ehlo_tls"], result["auth_tls"] = keywords(smtp), mechanisms(smtp)
            sock = smtp.sock
            if isinstance(sock, ssl.SSLSocket):
                result["tls_version"] = sock.version() or ""
                result["tls_cipher"] = (sock.cipher() or ("",))[0]
    return result


PROBE_ERRORS = (OSError, smtplib.SMTPException, ssl.SSLError)

# The options of one listener: the single form's, and each entry of `listeners` (no defaults there: an
# option an entry leaves out is the top-level one).
LISTENER_OPTIONS: dict[str, dict[str, Any]] = {
    "host": {"type": "str", "default": "127.0.0.1"},
    "port": {"type": "int"},
    "proxy_protocol": {"type": "bool", "default": False},
    "starttls": {"type": "bool", "default": True},
    "ca_file": {"type": "path"},
    "server_name": {"type": "str"},
    "helo": {"type": "str", "default": "localhost"},
    "timeout": {"type": "float", "default": 15.0},
}
ENTRY_OPTIONS: dict[str, dict[str, Any]] = {
    name: {"type": spec["type"], **({"required": True} if name == "port" else {})}
    for name, spec in LISTENER_OPTIONS.items()
}


def failure(params: dict[str, Any], exc: BaseException) -> str:
    return f"{params['host']}:{params['port']}: {type(exc).__name__}: {exc}"


def entry_params(top: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """One entry of `listeners` completed with the top-level options where it leaves one out."""
    return {name: top[name] if entry.get(name) is None else entry[name] for name in LISTENER_OPTIONS}


def probe_many(top: dict[str, Any], entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each entry probed in order; one that fails is recorded as failed and the next one is probed."""
    records: list[dict[str, Any]] = []
    for entry in entries:
        params = entry_params(top, entry)
        record: dict[str, Any] = {"host": params["host"], "port": params["port"],
                                  "proxy_protocol": params["proxy_protocol"], "failed": False, "msg": ""}
        try:
            record.update(probe(params))
        except PROBE_ERRORS as exc:
            record.update(failed=True, msg=failure(params, exc), greeting_code=0, greeting="", ehlo_plain=[],
                          ehlo_tls=[], auth_plain=[], auth_tls=[], tls_version="", tls_cipher="")
        records.append(record)
    return records


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **LISTENER_OPTIONS,
            "listeners": {"type": "list", "elements": "dict", "options": ENTRY_OPTIONS},
        },
        required_one_of=[("port", "listeners")],
        mutually_exclusive=[("port", "listeners")],
        supports_check_mode=True,
    )
    if module.params["listeners"] is not None:
        if not module.params["listeners"]:
            module.fail_json(msg="listeners: an empty list (give one entry per listener)")
        records = probe_many(module.params, module.params["listeners"])
        failed = [record["msg"] for record in records if record["failed"]]
        if failed:
            module.fail_json(msg="; ".join(failed), listeners=records)
        module.exit_json(changed=False, listeners=records)
    try:
        result = probe(module.params)
    except PROBE_ERRORS as exc:
        module.fail_json(msg=failure(module.params, exc))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
