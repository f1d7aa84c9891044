#!/usr/bin/python
# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Probe an SMTP listener: greeting, EHLO keywords before and after STARTTLS, the TLS version."""

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
short_description: Read what an SMTP listener offers, before and after STARTTLS
description:
  - Connects to O(host):O(port), reads the greeting, sends EHLO, then (with O(starttls)) STARTTLS and EHLO again,
    and returns the EHLO keywords of both stages and the negotiated TLS version. Sends QUIT; never MAIL or AUTH.
  - With O(proxy_protocol) it first sends a PROXY protocol v2 header naming its own connection, as HAProxy does
    in front of C(postscreen_upstream_proxy_protocol) and C(smtpd_upstream_proxy_protocol) listeners.
  - Read-only; the same in check mode.
options:
  host:
    description: Address to connect to.
    type: str
    default: 127.0.0.1
  port:
    description: TCP port.
    type: int
    required: true
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
"""

RETURN = r"""
greeting_code:
  description: Reply code of the greeting (220 when the listener accepts mail).
  type: int
  returned: always
greeting:
  description: Text of the greeting.
  type: str
  returned: always
ehlo_plain:
  description: EHLO keywords before STARTTLS, lower case (C(starttls), C(auth), C(pipelining), ...).
  type: list
  elements: str
  returned: always
ehlo_tls:
  description: EHLO keywords inside TLS, lower case; empty without O(starttls).
  type: list
  elements: str
  returned: always
auth_plain:
  description: SASL mechanisms offered before STARTTLS (empty when AUTH is not offered).
  type: list
  elements: str
  returned: always
auth_tls:
  description: SASL mechanisms offered inside TLS.
  type: list
  elements: str
  returned: always
tls_version:
  description: Negotiated protocol (C(TLSv1.3), C(TLSv1.2)); empty without TLS.
  type: str
  returned: always
tls_cipher:
  description: Negotiated cipher; empty without TLS.
  type: str
  returned: always
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
        if self.server_name:
            self._host = self.server_name  # starttls() sends it as SNI and checks the certificate against it
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


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "host": {"type": "str", "default": "127.0.0.1"},
            "port": {"type": "int", "required": True},
            "proxy_protocol": {"type": "bool", "default": False},
            "starttls": {"type": "bool", "default": True},
            "ca_file": {"type": "path"},
            "server_name": {"type": "str"},
            "helo": {"type": "str", "default": "localhost"},
            "timeout": {"type": "float", "default": 15.0},
        },
        supports_check_mode=True,
    )
    try:
        result = probe(module.params)
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        module.fail_json(msg=f"{module.params['host']}:{module.params['port']}: {type(exc).__name__}: {exc}")
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
