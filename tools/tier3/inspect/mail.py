"""Mail kinds of ``tier3 inspect``: ``postqueue``, ``replicator`` (a host's commands), ``vip-holders`` and
``tls-listener`` (read from the controller).

- ``postqueue``: ``postqueue -j`` (empty output: an empty queue). Facts only (``"facts"``): a queue is
  not a redundancy. Ages are measured from when the output was read: ``InspectOptions(extra={"now":
  EPOCH})``, else the time it is judged.
- ``replicator``: ``doveadm replicator status '*'`` and/or ``doveadm replicator status`` (one text with
  either or both, or a mapping of name -> text whose facts are joined). ``redundant``: the IMAP peer
  has every change, as far as the replicator says.
- ``vip-holders``: a JSON object (or mapping) of host -> its ``ip -j addr`` output. ``redundant``: each
  declared VIP judged is held by exactly one host and every member was read. Needs the topology
  (``-i INVENTORY``): the VIPs and their members are the inventory's.
- ``tls-listener``: SOURCE ``KIND://ADDRESS:PORT[/SERVER_NAME]`` probes that listener now (``--ca-file``
  verifies the chain), e.g. ``submission://10.89.30.100:587/mail.lab.tier3.test``; any other SOURCE
  is a saved JSON list of probe records (``tier3.parsers.tlsprobe``). Facts per listener.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from tier3.errors import InventoryError, ParseError, Tier3Error
from tier3.inspect import Evidence, InspectOptions, Kind
from tier3.model import Finding, Topology
from tier3.parsers import ipaddr, postqueue, replicator, tlsprobe
from tier3.probe import PROTOCOLS, Listener, probe_listeners
from tier3.rules.observed.vip import judged
from tier3.schema import build
from tier3.schema.compiled import issues
from tier3.sources import read_text

USERS_ARGV = ("doveadm", "replicator", "status", "*")
SUMMARY_ARGV = ("doveadm", "replicator", "status")


def _now(options: InspectOptions) -> float:
    given = options.extra.get("now")
    return float(given) if isinstance(given, int | float) and not isinstance(given, bool) else time.time()


# ---- postqueue -j -------------------------------------------------------------------------------

def _parse_postqueue(raw: Any, source: str, options: InspectOptions) -> postqueue.PostQueue:
    return postqueue.parse_postqueue_json(raw, source, read_at=_now(options))


def postqueue_report(q: postqueue.PostQueue, _findings: Sequence[Finding], _raw: Any) -> dict[str, Any]:
    oldest = q.oldest()
    deferred = q.oldest("deferred")
    return {"messages": len(q.messages), "per_queue": q.counts(), "read_at": q.read_at,
            "oldest": None if oldest is None else {"queue_id": oldest.queue_id, "queue": oldest.queue_name,
                                                   "arrival_time": oldest.arrival_time},
            "oldest_deferred": None if deferred is None else {"queue_id": deferred.queue_id,
                                                              "arrival_time": deferred.arrival_time},
            "listed_twice": list(q.listed_twice)}


# ---- doveadm replicator status ------------------------------------------------------------------

def _parse_replicator(raw: Any, source: str, _options: InspectOptions) -> replicator.ReplicatorStatus:
    if isinstance(raw, Mapping):
        if not raw:
            raise ParseError(source, "", "no replicator output given")
        parsed = [replicator.parse_replicator_status(text, f"{source}#{name}") for name, text in raw.items()]
        out = parsed[0]
        for more in parsed[1:]:
            out = out.combine(more)
        return out
    return replicator.parse_replicator_status(raw, source)


def _replicator_how(facts: replicator.ReplicatorStatus, how: str) -> str:
    if how:
        return how
    said = [" ".join(USERS_ARGV[:-1]) + " '*'"] if facts.users is not None else []
    return " + ".join([*said, *([" ".join(SUMMARY_ARGV)] if facts.summary is not None else [])])


def replicator_report(r: replicator.ReplicatorStatus, _findings: Sequence[Finding], _raw: Any) -> dict[str, Any]:
    return {"summary": r.summary, "queued": r.queued, "other_summary": dict(r.other),
            "users": None if r.users is None else [
                {"username": u.username, "priority": u.priority, "fast_sync_ago_s": u.fast_sync_ago,
                 "full_sync_ago_s": u.full_sync_ago, "success_sync_ago_s": u.success_sync_ago, "failed": u.failed}
                for u in r.users]}


# ---- vip-holders ----------------------------------------------------------------------------------

def _read_json_text(source: str, _options: InspectOptions) -> tuple[Any, str]:
    return read_text(source), ""


def _parse_vip_holders(raw: Any, source: str, options: InspectOptions) -> ipaddr.VipObservation:
    if options.topology is None:
        raise Tier3Error(source, "", "vip-holders judges the VIPs the inventory declares: no inventory given",
                         hint="add -i INVENTORY (its tier3_vips name the members of each VIP)")
    facts = ipaddr.parse_vip_holders(raw, source)
    if not any(judged(vip, facts) for vip in options.topology.vips):
        raise Tier3Error(source, "", f"none of {', '.join(h.host for h in facts.hosts)} is a member of a declared VIP "
                         "or holds one: nothing to judge",
                         hint="give ip -j addr of the members named in tier3_vips[].members")
    return facts


def vip_report(obs: ipaddr.VipObservation, _findings: Sequence[Finding], _raw: Any) -> dict[str, Any]:
    return {"hosts": {h.host: [{"ifname": i.ifname, "link_up": i.link_up, "operstate": i.operstate,
                                "addresses": [f"{a.local}/{a.prefixlen}" for a in i.addresses]}
                               for i in h.interfaces] for h in obs.hosts}}


# ---- tls-listener ---------------------------------------------------------------------------------

def listener_from_url(source: str) -> Listener:
    """``submission://10.89.30.100:587/mail.lab.tier3.test`` -> the listener to probe."""
    parts = urlsplit(source)
    kinds = ", ".join(f"{k}://" for k in PROTOCOLS)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in PROTOCOLS or not parts.hostname or port is None:
        raise Tier3Error(source, "", "expected KIND://ADDRESS:PORT[/SERVER_NAME]",
                         hint=f"KIND is one of {kinds}; or give a saved JSON file of probe records")
    return Listener(parts.hostname, port, parts.scheme, unquote(parts.path.strip("/")))


def read_tls_listener(source: str, options: InspectOptions) -> tuple[Any, str]:
    """A listener URL (probed now, from this machine) or a saved JSON file of probe records."""
    if "://" not in source:
        return read_text(source, hint="give KIND://ADDRESS:PORT to probe, or a saved JSON file of probe records"), \
            "saved tier3 probe records"
    listener = listener_from_url(source)
    return probe_listeners([listener], options.ca_file, options.timeout), \
        f"tier3 probe {listener.kind} from the controller"


def tls_report(facts: tlsprobe.TlsListeners, _findings: Sequence[Finding], raw: Any) -> dict[str, Any]:
    return {"listeners": [{
        "listener": x.name, "kind": x.kind, "server_hostname": x.server_hostname, "answered": x.answered,
        "error": x.error, "banner": x.banner, "starttls_offered": x.starttls_offered,
        "auth_before_tls": list(x.auth_before_tls), "tls_version": x.tls_version, "tls_cipher": x.tls_cipher,
        "versions": {k: v.result for k, v in x.versions.items()},
        "certificate": None if x.certificate is None else {
            "subject": x.certificate.subject, "issuer": x.certificate.issuer,
            "names": [*x.certificate.dns_names, *x.certificate.ip_addresses],
            "days_left": int((x.certificate.not_after - x.probed_at) // 86400)},
        "chain_verified": x.chain_verified, "verify_error": x.verify_error, "name_matches": x.name_matches,
    } for x in facts.listeners], "records": raw if isinstance(raw, list) else None}


def listeners_from(entries: Any, where: str = "listeners") -> list[Listener]:
    """``[{address, port, kind, server_hostname}]`` (the ``tier3_judge`` action's ``listeners``) -> listeners."""
    if not isinstance(entries, list | tuple) or not entries:
        raise Tier3Error(where, "", "expected a non-empty list of {address, port, kind, server_hostname}")
    return [Listener.from_mapping(doc, f"{where}[{i}]") for i, doc in enumerate(entries)]


def vips_topology(entries: Any, where: str = "tier3_vips") -> Topology:
    """A topology holding only the VIPs ``entries`` declare (``tier3_vips`` as the inventory spells it),
    checked against the inventory's own schema of a VIP."""
    if not isinstance(entries, list | tuple):
        raise InventoryError(where, "", f"expected a list of VIPs, got {type(entries).__name__}")
    vips = []
    for i, doc in enumerate(entries):
        key = f"{where}[{i}]"
        found = issues("vip", doc) if isinstance(doc, dict) else None
        if found is None or found:
            said = "not a mapping" if found is None else \
                "; ".join(f"{'.'.join(map(str, e.path)) or '(entry)'}: {e.message}" for e in found)
            raise InventoryError(where, f"[{i}]", said, hint="declare each VIP as docs/inventory.md shows")
        vips.append(build.vip(doc, where, key))
    return Topology(vips=tuple(vips), source=where)


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("postqueue", "Postfix's queue from postqueue -j: messages per queue, their age", "facts",
         evidence=(Evidence(argv=("postqueue", "-j")),),
         parse=_parse_postqueue, report=postqueue_report, described=lambda _q, how: how or "postqueue -j"),
    Kind("replicator", "Dovecot replication per user and queued from doveadm replicator status", "redundant",
         evidence=(Evidence(argv=USERS_ARGV), Evidence(argv=SUMMARY_ARGV)),
         parse=_parse_replicator, report=replicator_report, described=_replicator_how),
    Kind("vip-holders", "who holds each declared VIP, from ip -j addr of each member (needs -i)", "redundant",
         # each member gives ip -j addr; the controller joins them into host -> output
         evidence=(Evidence(argv=("ip", "-j", "addr")),), read=_read_json_text, parse=_parse_vip_holders,
         report=vip_report,
         described=lambda _o, how: how or "ip -j addr on each host"),
    Kind("tls-listener", "a mail listener probed from the controller: answer, TLS versions, certificate, AUTH",
         "facts", evidence=(), read=read_tls_listener,
         parse=lambda raw, source, _o: tlsprobe.parse_tls_listeners(raw, source), report=tls_report,
         described=lambda _f, how: how or "tier3 probe records"),
)}
