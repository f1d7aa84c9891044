"""The recorded-session peer's SSH server: each member's ``DeviceModel`` behind real SSH on 127.0.0.1.

``PeerServer`` serves one member on an ephemeral port, in a thread: password authentication, a PTY
and an interactive shell that prints the model's banner and prompt, echoes each input line (not while
the model asks for a password), splits lines on ``\\r`` or ``\\n`` (``\\r\\n`` is one end) and prints the
model's output and its next prompt. It applies the server-side faults: ``unreachable`` (the TCP
connection is closed at once, no SSH), ``drop_after`` (the channel closes on the configuration line
after that many in one session, ``DeviceModel.counted``; the model hears ``disconnected()``) and
``flip_role_after`` (counted over the pair by ``Cluster.config_line``). ``sessions`` counts the shells
opened, for the tests. ``serve_pair`` runs both members of a pair and stops them at the end. This is a
mock of the devices.
"""

from __future__ import annotations

import hmac
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import paramiko

from .base import DeviceModel

HOST = "127.0.0.1"
USERNAME = "tier3"
PASSWORD = "recorded-peer"  # the local peer's test credential, not a secret of any device
MODULI = Path(__file__).with_name("moduli")  # primes for group-exchange, which Netmiko's fortinet driver insists on
TIMEOUT = 10.0  # seconds a handshake or a shell request may take before the server gives up on it
POLL = 0.1  # seconds between checks of the stop flag while waiting for a connection or input


@cache
def host_key() -> paramiko.ECDSAKey:
    """One throwaway host key per test process (the clients do not check it)."""
    return paramiko.ECDSAKey.generate()


class _Interface(paramiko.ServerInterface):
    """Password authentication against one credential, session channels with a PTY and a shell."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password
        self.shell = threading.Event()

    def get_allowed_auths(self, username: str) -> str:  # noqa: ARG002 (paramiko's signature)
        return "password"

    def check_auth_password(self, username: str, password: str) -> int:
        same = hmac.compare_digest(username, self.username) & hmac.compare_digest(password, self.password)
        return paramiko.AUTH_SUCCESSFUL if same else paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:  # noqa: ARG002 (paramiko's signature)
        return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, *args: Any) -> bool:  # noqa: ARG002 (any terminal will do)
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:  # noqa: ARG002 (paramiko's)
        self.shell.set()
        return True


def crlf(text: str) -> str:
    """Device output as a terminal sends it: every line end ``\\r\\n``."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


@dataclass
class _Session:
    """One shell's input state: the partial line and the config-mode lines received so far."""

    pending: str = ""
    after_cr: bool = False
    config_lines: int = 0

    def lines(self, data: str) -> Iterator[str]:
        """The complete lines in ``data``, keeping a partial one for the next chunk."""
        for char in data:
            if char == "\n" and self.after_cr:
                self.after_cr = False
                continue
            self.after_cr = char == "\r"
            if char in "\r\n":
                line, self.pending = self.pending, ""
                yield line
            else:
                self.pending += char


@dataclass
class PeerServer:
    """One member's SSH server. ``start()`` binds the port (``port``); ``stop()`` closes every session."""

    model: DeviceModel
    username: str = USERNAME
    password: str = PASSWORD
    port: int = 0
    sessions: int = 0  # shells opened so far
    _listener: socket.socket | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _transports: list[paramiko.Transport] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)  # one line at a time reaches the model

    def start(self) -> PeerServer:
        if not paramiko.Transport.load_server_moduli(str(MODULI)):
            raise RuntimeError(f"no group-exchange primes in {MODULI}")
        listener = socket.create_server((HOST, 0))
        listener.settimeout(POLL)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._spawn(self._accept)
        return self

    def stop(self) -> None:
        self._stopping.set()
        for transport in list(self._transports):
            transport.close()
        for thread in list(self._threads):
            thread.join(TIMEOUT)
        if self._listener is not None:
            self._listener.close()

    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name=f"fwpeer-{self.model.platform}")
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            if self.model.faults.unreachable:
                conn.close()
                continue
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # one prompt per line: no Nagle delay
        transport = paramiko.Transport(conn)
        self._transports.append(transport)
        transport.add_server_key(host_key())
        interface = _Interface(self.username, self.password)
        try:
            transport.start_server(server=interface)
            channel = transport.accept(TIMEOUT)
            if channel is None or not interface.shell.wait(TIMEOUT):
                return
            with self._lock:
                self.sessions += 1
            self._shell(channel)
        except (paramiko.SSHException, EOFError, OSError):
            if not self._stopping.is_set():
                with self._lock:
                    self.model.disconnected()
        finally:
            transport.close()

    def _shell(self, channel: paramiko.Channel) -> None:
        model = self.model
        with self._lock:
            model.connected()
            channel.sendall(crlf(model.banner()) + model.prompt())
        channel.settimeout(POLL)
        session = _Session()
        while not self._stopping.is_set():
            try:
                data = channel.recv(4096)
            except TimeoutError:
                continue
            if not data:
                break
            for line in session.lines(data.decode("utf-8", "replace")):
                with self._lock:
                    if not self._line(channel, session, line):
                        return
        with self._lock:
            model.disconnected()

    def _line(self, channel: paramiko.Channel, session: _Session, line: str) -> bool:
        """Answer one line in one write (echo, output, prompt); False when the session ends here (logout
        or an injected drop)."""
        model = self.model
        echo = (line if model.echoes() else "") + "\r\n"
        if model.counted(line):
            drop_after = model.faults.drop_after
            if drop_after is not None and session.config_lines >= drop_after:
                channel.sendall(echo)
                channel.close()
                model.disconnected()
                return False
            session.config_lines += 1
            model.cluster.config_line(model.faults)
        output = model.handle(line)
        answer = echo + (crlf(output + "\n") if output else "")
        if model.logged_out:
            channel.sendall(answer)
            channel.close()
            return False
        channel.sendall(answer + model.prompt())
        return True


class Served(tuple[int, int]):
    """The two members' ports, ``(port1, port2)``, with the servers behind them (``sessions[i]``)."""

    servers: tuple[PeerServer, PeerServer]

    def __new__(cls, servers: tuple[PeerServer, PeerServer]) -> Served:
        served = super().__new__(cls, (servers[0].port, servers[1].port))
        served.servers = servers
        return served

    @property
    def sessions(self) -> tuple[int, int]:
        return (self.servers[0].sessions, self.servers[1].sessions)


@contextmanager
def serve_pair(models: tuple[DeviceModel, DeviceModel], username: str = USERNAME,
               password: str = PASSWORD) -> Iterator[Served]:
    """Both members served, each on its own port, stopped on leaving the block."""
    servers = (PeerServer(models[0], username, password), PeerServer(models[1], username, password))
    try:
        for server in servers:
            server.start()
        yield Served(servers)
    finally:
        for server in servers:
            server.stop()


def netmiko_params(device_type: str, port: int, **extra: Any) -> dict[str, Any]:
    """ConnectHandler's arguments for one served member (no keys, no agent, no known-hosts file)."""
    return {"device_type": device_type, "host": HOST, "port": port, "username": USERNAME, "password": PASSWORD,
            "use_keys": False, "allow_agent": False, "ssh_strict": False, "system_host_keys": False,
            "conn_timeout": TIMEOUT, **extra}
