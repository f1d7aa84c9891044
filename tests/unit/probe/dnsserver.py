"""A small authoritative DNS server for the probe tests: a stand-in for Knot (roles/dns_authoritative).

It is a real server speaking the DNS protocol over real sockets (UDP and TCP on the same port of a
loopback address), written with dnspython, serving zone files as ``tier3.dns.zone.render`` writes them
for Knot. It answers what an authoritative server answers: the records of the name and type asked, with
the AA flag; NODATA or NXDOMAIN with the SOA in the authority section; REFUSED for a name outside its
zones. It knows nothing of DNSSEC, IXFR or NOTIFY, which the probe does not use. Faults a test asks for:
``truncate_udp`` (every UDP answer truncated, TC set: the client must come back over TCP),
``authoritative=False`` (answers without AA), ``refuse`` (REFUSED to everything). A server that does
not answer at all is a bound UDP socket that never replies (``silent_server``).
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.zone

IO_TIMEOUT = 5.0


@dataclass
class ZoneServer:
    """Serves ``zones`` (origin -> zone file text) on ``address``:``port`` (0: any free port, the same for
    UDP and TCP)."""

    zones: Mapping[str, str]
    address: str = "127.0.0.1"
    port: int = 0
    truncate_udp: bool = False
    authoritative: bool = True
    refuse: bool = False
    asked: list[tuple[str, str, str]] = field(default_factory=list)  # (transport, name, type) of every question

    def __post_init__(self) -> None:
        self._zones = {dns.name.from_text(origin): dns.zone.from_text(text, origin=origin, relativize=False)
                       for origin, text in self.zones.items()}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # ---- the protocol ---------------------------------------------------------------------------

    def answer(self, query: dns.message.Message, transport: str) -> dns.message.Message:
        response = dns.message.make_response(query)
        question = query.question[0]
        self.asked.append((transport, question.name.to_text(omit_final_dot=True),
                           dns.rdatatype.to_text(question.rdtype)))
        origin = next((o for o in self._zones if question.name.is_subdomain(o)), None)
        if self.refuse or origin is None:
            response.set_rcode(dns.rcode.REFUSED)
            return response
        zone = self._zones[origin]
        if self.authoritative:
            response.flags |= dns.flags.AA
        node = zone.get_node(question.name)
        rdataset = node.get_rdataset(dns.rdataclass.IN, question.rdtype) if node is not None else None
        if rdataset is not None:
            response.answer.append(response.find_rrset(response.answer, question.name, dns.rdataclass.IN,
                                                       question.rdtype, create=True))
            response.answer[0].update(rdataset)
            return response
        if node is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        soa = zone.get_rdataset(origin, dns.rdatatype.SOA)
        if soa is not None:
            rrset = response.find_rrset(response.authority, origin, dns.rdataclass.IN, dns.rdatatype.SOA, create=True)
            rrset.update(soa)
        return response

    def _udp_wire(self, query: dns.message.Message) -> bytes:
        response = self.answer(query, "udp")
        limit = max(512, query.payload if query.edns >= 0 else 512)
        if self.truncate_udp:
            response.answer.clear()
            response.authority.clear()
            response.flags |= dns.flags.TC
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            response.answer.clear()
            response.flags |= dns.flags.TC
            return response.to_wire(max_size=limit)

    # ---- the sockets ----------------------------------------------------------------------------

    def start(self) -> ZoneServer:
        for _ in range(20):  # a UDP port whose TCP twin is free too
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind((self.address, self.port))
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind((self.address, udp.getsockname()[1]))
            except OSError:
                udp.close()
                tcp.close()
                continue
            break
        else:
            raise OSError("no free port for UDP and TCP together")
        self.port = udp.getsockname()[1]
        tcp.listen(8)
        udp.settimeout(0.1)
        tcp.settimeout(0.1)
        self._udp, self._tcp = udp, tcp
        self._threads = [threading.Thread(target=self._serve_udp, daemon=True),
                         threading.Thread(target=self._serve_tcp, daemon=True)]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(IO_TIMEOUT)
        self._udp.close()
        self._tcp.close()

    def _serve_udp(self) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = self._udp.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            query = dns.message.from_wire(wire)
            self._udp.sendto(self._udp_wire(query), peer)

    def _serve_tcp(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._tcp.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(IO_TIMEOUT)
                head = conn.recv(2)
                if len(head) < 2:
                    continue
                (size,) = struct.unpack("!H", head)
                wire = b""
                while len(wire) < size:
                    chunk = conn.recv(size - len(wire))
                    if not chunk:
                        break
                    wire += chunk
                reply = self.answer(dns.message.from_wire(wire), "tcp").to_wire()
                conn.sendall(struct.pack("!H", len(reply)) + reply)


@contextmanager
def serving(*servers: ZoneServer) -> Iterator[tuple[ZoneServer, ...]]:
    started = [s.start() for s in servers]
    try:
        yield tuple(started)
    finally:
        for server in started:
            server.stop()


@contextmanager
def silent_server(address: str = "127.0.0.1") -> Iterator[int]:
    """A UDP port that receives queries and never answers (and no TCP listener): a server that is down."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind((address, 0))
        yield int(udp.getsockname()[1])
