#!/usr/bin/python
# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Talk to Dovecot as a client would (IMAPS, IMAP+STARTTLS, LMTP+STARTTLS, TLS, the auth socket) and report."""

from __future__ import annotations

import base64
import imaplib
import os
import smtplib
import socket
import ssl
from collections.abc import Callable
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
---
module: tier3_dovecot_probe
short_description: Probe Dovecot the way its clients do, read-only, and return what it answered
description:
  - O(protocol=imaps) connects with TLS, verifies the certificate against O(ca_file) for O(server_name), and logs in
    as O(user) when a password is given.
  - O(protocol=imap) reads the capabilities before TLS, tries a LOGIN with a made-up user and password (never a real
    one) to see it refused, runs STARTTLS with verification, reads the capabilities again and logs in as O(user)
    when a password is given.
  - O(protocol=lmtp) reads the LHLO answer, runs STARTTLS with verification and reads LHLO again. No mail is sent.
  - O(protocol=tls) only runs a verified TLS handshake.
  - O(protocol=doveadm) runs a verified TLS handshake with a doveadm server (the replication port) and
    authenticates as dsync does, with O(password) as C(doveadm_password); it runs no command.
  - O(protocol=auth) speaks Dovecot's auth protocol on the unix socket O(host) (Postfix's SASL socket) and tries
    PLAIN for O(user) with the C(secured) flag, as Postfix sends it for a session under TLS.
  - The module only reports; the role's asserts judge. It fails when it cannot connect or a certificate does not
    verify.
  - Dovecot treats a client whose source address equals the server address as secured (no STARTTLS needed), so the
    connection leaves from O(source_address), 127.0.0.1 by default, towards the host's own address.
  - O(probes) runs several probes in one call (one module run instead of one task per probe), in order; each entry
    takes the options of the single form. A probe of the list that cannot connect or does not verify does not fail
    the module; its entry in RV(probes) has C(failed=true) and the message the single form would fail with, and the
    next probe runs. So a task with C(no_log) (for the passwords) can register the results and a later task without
    it judge them and say why.
options:
  protocol:
    description: What to speak. Required unless O(probes) is given.
    type: str
    choices: [imaps, imap, lmtp, tls, doveadm, auth]
  host:
    description: Address to connect to; for O(protocol=auth) the path of the auth socket. Required with O(protocol).
    type: str
  port:
    description: TCP port (not for O(protocol=auth)).
    type: int
    default: 0
  server_name:
    description: Name the certificate must carry (an IP address SAN or a DNS name); defaults to O(host).
    type: str
  ca_file:
    description: CA to verify the server certificate with.
    type: path
  source_address:
    description: Local address to connect from.
    type: str
    default: 127.0.0.1
  user:
    description: User to log in as.
    type: str
  password:
    description: The user's password (doveadm, the doveadm_password); no login is tried without it.
    type: str
  timeout:
    description: Seconds for each network operation.
    type: float
    default: 10
  probes:
    description:
      - Several probes, run one after the other in one call; the results are RV(probes), in the same order.
      - Each entry has the options of the single form, with the same defaults (an entry inherits nothing from the
        top level). Not with O(protocol) or O(host).
    type: list
    elements: dict
    suboptions:
      protocol:
        description: As O(protocol).
        type: str
        required: true
        choices: [imaps, imap, lmtp, tls, doveadm, auth]
      host:
        description: As O(host).
        type: str
        required: true
      port: {description: As O(port)., type: int, default: 0}
      server_name: {description: "As O(server_name) (defaults to O(probes[].host))."}
      ca_file: {description: As O(ca_file)., type: path}
      source_address: {description: As O(source_address)., type: str, default: 127.0.0.1}
      user: {description: As O(user)., type: str}
      password: {description: As O(password)., type: str}
      timeout: {description: As O(timeout)., type: float, default: 10}
attributes:
  check_mode:
    support: full
    description: Read-only; the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing.
author:
  - tier3 contributors
"""

EXAMPLES = r"""
- name: IMAPS login
  tier3_dovecot_probe:
    protocol: imaps
    host: 10.89.30.21
    port: 993
    ca_file: /etc/tier3/pki/ca.crt
    user: alice@lab.tier3.test
    password: "{{ vault_tier3_mail_alice }}"
  no_log: true

# Several probes in one call; no_log hides the whole result, so a second task judges it (and shows why)
- name: IMAPS login, IMAP STARTTLS and LMTP in one call
  tier3_dovecot_probe:
    probes:
      - {protocol: imaps, host: 10.89.30.21, port: 993, ca_file: /etc/tier3/pki/ca.crt,
         user: alice@lab.tier3.test, password: "{{ vault_tier3_mail_alice }}"}
      - {protocol: imap, host: 10.89.30.21, port: 143, ca_file: /etc/tier3/pki/ca.crt}
      - {protocol: lmtp, host: 10.89.30.21, port: 24, ca_file: /etc/tier3/pki/ca.crt}
  register: probed
  no_log: true

- name: Each probe answered, and the IMAPS login succeeded
  ansible.builtin.assert:
    that:
      - probed.probes | selectattr('failed') | list | length == 0
      - probed.probes[0].login
    fail_msg: "{{ probed.probes | selectattr('failed') | map(attribute='msg') | list }}"
"""

RETURN = r"""
tls:
  description: Protocol version and cipher of the verified TLS session.
  type: dict
  returned: unless O(protocol=auth)
capabilities_before_tls:
  description: IMAP capabilities, or LMTP LHLO keywords, before STARTTLS (imap, lmtp).
  type: list
  elements: str
  returned: when O(protocol) is imap or lmtp
capabilities:
  description: IMAP capabilities or LMTP keywords after TLS.
  type: list
  elements: str
  returned: when O(protocol) is imaps, imap or lmtp
plaintext_login:
  description: The tagged answer to LOGIN before STARTTLS (imap).
  type: str
  returned: when O(protocol=imap)
login:
  description: Whether the login as O(user) succeeded (after TLS).
  type: bool
  returned: when a password is given
mechanisms:
  description: Mechanisms the auth socket offers (auth).
  type: list
  elements: str
  returned: when O(protocol=auth)
auth:
  description: The answer (OK or FAIL) to PLAIN (auth).
  type: str
  returned: when O(protocol=auth) and a password is given
handshake:
  description: The doveadm server's first line (C(-) asks for authentication) (doveadm).
  type: str
  returned: when O(protocol=doveadm)
authenticated:
  description: Whether the doveadm server accepted O(password) (doveadm).
  type: bool
  returned: when O(protocol=doveadm), the server asked for it and a password is given
auth_answer:
  description: The doveadm server's answer to the authentication (C(+) accepted) (doveadm).
  type: str
  returned: when RV(authenticated) is
probes:
  description:
    - One record per entry of O(probes), in order - the keys the single form returns for that protocol (RV(tls),
      RV(capabilities), RV(login), ...), and C(protocol), C(host), C(port), C(failed), C(msg).
    - C(failed) is true when the probe could not connect, the certificate did not verify or the dialogue broke off;
      C(msg) then says why (the message the single form fails with), and is empty otherwise.
  type: list
  elements: dict
  returned: when O(probes) is given
  sample:
    - {protocol: imaps, host: 10.89.30.21, port: 993, failed: false, msg: "",
       tls: {version: TLSv1.3, cipher: TLS_AES_256_GCM_SHA384}, capabilities: [AUTH=PLAIN, IMAP4rev1], login: true}
    - {protocol: lmtp, host: 10.89.30.21, port: 24, failed: true,
       msg: "lmtp 10.89.30.21:24: [Errno 111] Connection refused"}
"""


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def session(sock: Any) -> dict[str, Any]:
    return {"version": sock.version(), "cipher": sock.cipher()[0]}


class Imap(imaplib.IMAP4):
    """imaplib from a chosen source address; STARTTLS verifies the certificate for ``server_name``."""

    def __init__(self, p: dict[str, Any]) -> None:
        self._source = (str(p["source_address"]), 0)
        super().__init__(p["host"], p["port"], timeout=p["timeout"])
        self.host = p["server_name"]  # imaplib's starttls() verifies the certificate for self.host

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout, source_address=self._source)


class ImapTls(imaplib.IMAP4_SSL):
    """imaplib over TLS from a chosen source address, verifying the certificate for ``server_name``."""

    def __init__(self, p: dict[str, Any]) -> None:
        self._source = (str(p["source_address"]), 0)
        self._server_name = str(p["server_name"])
        super().__init__(p["host"], p["port"], ssl_context=tls_context(p["ca_file"]), timeout=p["timeout"])

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout, source_address=self._source)
        context: ssl.SSLContext = self.ssl_context  # set by IMAP4_SSL.__init__ before it connects
        return context.wrap_socket(sock, server_hostname=self._server_name)


def capabilities(client: imaplib.IMAP4) -> list[str]:
    _typ, data = client.capability()
    return sorted(data[0].decode().split()) if data and data[0] else []


def imap_login(client: imaplib.IMAP4, user: str | None, password: str | None, out: dict[str, Any]) -> None:
    if not (user and password):
        return
    try:
        client.login(user, password)
    except imaplib.IMAP4.error:
        out["login"] = False
    else:
        out["login"] = True
        client.logout()


def probe_imaps(p: dict[str, Any]) -> dict[str, Any]:
    client = ImapTls(p)
    out: dict[str, Any] = {"tls": session(client.sock), "capabilities": capabilities(client)}
    imap_login(client, p["user"], p["password"], out)
    return out


def probe_imap(p: dict[str, Any]) -> dict[str, Any]:
    client = Imap(p)
    out: dict[str, Any] = {"capabilities_before_tls": capabilities(client)}
    # A made-up user and password: a real one never travels in clear, even to test the refusal.
    tag = client._new_tag().decode()  # imaplib has no public way to send a raw command
    client.send(f'{tag} LOGIN "probe@tier3.invalid" "not-a-password"\r\n'.encode())
    out["plaintext_login"] = "(connection closed)"
    while line := client.readline().decode(errors="replace").rstrip("\r\n"):
        if line.startswith(tag + " "):
            out["plaintext_login"] = line[len(tag) + 1:]
            break
    if out["plaintext_login"] == "(connection closed)":
        return out
    client.starttls(ssl_context=tls_context(p["ca_file"]))
    out["tls"] = session(client.sock)
    out["capabilities"] = capabilities(client)
    imap_login(client, p["user"], p["password"], out)
    return out


def probe_lmtp(p: dict[str, Any]) -> dict[str, Any]:
    client = smtplib.LMTP(timeout=p["timeout"], source_address=(p["source_address"], 0))
    code, banner = client.connect(p["host"], p["port"])
    out: dict[str, Any] = {"banner": f"{code} {banner.decode(errors='replace')}"}
    client.ehlo_or_helo_if_needed()
    out["capabilities_before_tls"] = sorted(k.upper() for k in client.esmtp_features)
    if client.has_extn("starttls"):
        # smtplib's starttls() verifies the certificate for the name connect() stored in _host
        setattr(client, "_host", p["server_name"])  # noqa: B010  (a private attribute typeshed omits)
        client.starttls(context=tls_context(p["ca_file"]))
        out["tls"] = session(client.sock)
        client.ehlo()
        out["capabilities"] = sorted(k.upper() for k in client.esmtp_features)
    client.quit()
    return out


def probe_tls(p: dict[str, Any]) -> dict[str, Any]:
    raw = socket.create_connection((p["host"], p["port"]), p["timeout"], source_address=(p["source_address"], 0))
    with tls_context(p["ca_file"]).wrap_socket(raw, server_hostname=p["server_name"]) as sock:
        return {"tls": session(sock)}


def read_line(stream: Any) -> str:
    return str(stream.readline(4096).decode(errors="replace").rstrip("\r\n"))


def probe_doveadm(p: dict[str, Any]) -> dict[str, Any]:
    """The doveadm server's handshake, as dsync's replicator does it: VERSION, then PLAIN with doveadm_password."""
    raw = socket.create_connection((p["host"], p["port"]), p["timeout"], source_address=(p["source_address"], 0))
    with tls_context(p["ca_file"]).wrap_socket(raw, server_hostname=p["server_name"]) as sock:
        out: dict[str, Any] = {"tls": session(sock)}
        stream = sock.makefile("rb")
        sock.sendall(b"VERSION\tdoveadm-server\t1\t0\n")
        out["handshake"] = read_line(stream)  # "-": authenticate first; "+": no authentication needed
        if out["handshake"] == "-" and p["password"]:
            plain = base64.b64encode(f"\0doveadm\0{p['password']}".encode()).decode()
            sock.sendall(f"PLAIN\t{plain}\n".encode())
            answer = read_line(stream)
            out["authenticated"] = answer == "+"
            out["auth_answer"] = answer or "(connection closed)"
        return out  # and close: a doveadm server takes a closed connection after the handshake quietly


def auth_answer(sock: socket.socket, request_id: int) -> str:
    buffer = b""
    while not buffer.endswith(b"\n"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        buffer += chunk
    for line in buffer.decode(errors="replace").splitlines():
        fields = line.split("\t")
        if len(fields) > 1 and fields[1] == str(request_id):
            return fields[0]
    return buffer.decode(errors="replace").strip() or "(no answer)"


def probe_auth(p: dict[str, Any]) -> dict[str, Any]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(p["timeout"])
    sock.connect(p["host"])
    with sock:
        sock.sendall(f"VERSION\t1\t2\nCPID\t{os.getpid()}\n".encode())
        handshake = b""
        while b"\nDONE\n" not in b"\n" + handshake:
            chunk = sock.recv(4096)
            if not chunk:
                break
            handshake += chunk
        mechanisms = sorted(
            line.split("\t")[1] for line in handshake.decode().splitlines() if line.startswith("MECH\t")
        )
        out: dict[str, Any] = {"mechanisms": mechanisms}
        if p["user"] and p["password"]:
            # "secured": the client's session is under TLS, as Postfix says for submission after STARTTLS
            response = base64.b64encode(f"\0{p['user']}\0{p['password']}".encode()).decode()
            sock.sendall(f"AUTH\t1\tPLAIN\tservice=smtp\tsecured\tresp={response}\n".encode())
            out["auth"] = auth_answer(sock, 1)
        return out


PROBES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "imaps": probe_imaps,
    "imap": probe_imap,
    "lmtp": probe_lmtp,
    "tls": probe_tls,
    "doveadm": probe_doveadm,
    "auth": probe_auth,
}


PROBE_OPTIONS: dict[str, dict[str, Any]] = {
    "protocol": {"type": "str", "choices": list(PROBES)},
    "host": {"type": "str"},
    "port": {"type": "int", "default": 0},
    "server_name": {"type": "str"},
    "ca_file": {"type": "path"},
    "source_address": {"type": "str", "default": "127.0.0.1"},
    "user": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "timeout": {"type": "float", "default": 10},
}


def run_probe(options: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """One probe: what it returned, and "" or the message it failed with (cannot connect, does not verify)."""
    params = dict(options)
    params["server_name"] = params["server_name"] or params["host"]
    try:
        return PROBES[params["protocol"]](params), ""
    except ssl.SSLCertVerificationError as exc:
        return {}, f"{params['host']}:{params['port']}: certificate does not verify: {exc.verify_message}"
    except (OSError, imaplib.IMAP4.error, smtplib.SMTPException) as exc:
        return {}, f"{params['protocol']} {params['host']}:{params['port']}: {exc}"


def main() -> None:
    entry = {name: dict(spec) for name, spec in PROBE_OPTIONS.items()}
    entry["protocol"]["required"] = True
    entry["host"]["required"] = True
    module = AnsibleModule(
        argument_spec={**PROBE_OPTIONS, "probes": {"type": "list", "elements": "dict", "options": entry}},
        required_one_of=[("protocol", "probes")],
        required_together=[("protocol", "host")],
        mutually_exclusive=[("probes", "protocol"), ("probes", "host")],
        supports_check_mode=True,
    )
    if module.params["probes"] is not None:
        records = []
        for options in module.params["probes"]:
            result, error = run_probe(options)
            records.append({"protocol": options["protocol"], "host": options["host"], "port": options["port"],
                            "failed": bool(error), "msg": error, **result})
        module.exit_json(changed=False, probes=records)
    result, error = run_probe(module.params)
    if error:
        module.fail_json(msg=error)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
