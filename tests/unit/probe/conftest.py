"""Fixtures of the probe tests: the test CA, and mail servers on 127.0.0.1 stopped at the end of each test."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from mailservers import HOST, Issued, MailServer, StartServer, ThrowawayCA, server_context


@pytest.fixture(scope="session")
def ca(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayCA:
    return ThrowawayCA(tmp_path_factory.mktemp("probe-ca"))


@pytest.fixture(scope="session")
def good_cert(ca: ThrowawayCA) -> Issued:
    return ca.issue("good")


@pytest.fixture
def mail_server(good_cert: Issued) -> Iterator[StartServer]:
    """``mail_server(protocol, cert=, oldest=TLSv1_2, tls=True, auth_before_tls=False, refuse=False,
    proxy_protocol=False)``: started."""
    started: list[MailServer] = []

    def start(protocol: str, *, cert: Issued | None = None, oldest: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
              tls: bool = True, auth_before_tls: bool = False, refuse: bool = False,
              proxy_protocol: bool = False) -> MailServer:
        context = server_context(cert or good_cert, oldest) if tls else None
        server = MailServer(protocol, context, auth_before_tls, refuse, proxy_protocol).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def closed_port() -> int:
    """A port of 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never says a word."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        s.listen(8)
        yield int(s.getsockname()[1])


@pytest.fixture
def ca_file(ca: ThrowawayCA) -> Path:
    return ca.ca_file
