"""Controller-side probes of the mail cluster's listeners (layer of ``bmc``: the controller reads a peer).

``probe_listener(Listener(address, port, kind, server_hostname), ca_file)`` connects to the one
address and port given (short timeouts, bounded reads), speaks the protocol up to TLS, and returns
a record of what it saw: whether the listener answers, the capabilities it offers before TLS (AUTH
among them), the TLS versions it accepts, its certificate and whether the chain verifies with the
CA file and names ``server_hostname``. Listener kinds: ``smtp-starttls``, ``submission``,
``imap-starttls``, ``imaps``, ``lmtp-starttls`` (``dialogue.PROTOCOLS``).

Facts only: ``tier3.parsers.tlsprobe`` reads the records, the rules of
``tier3.rules.observed.listener`` judge them, ``tier3 inspect tls-listener`` and the ``tier3_judge``
action conduct. The text of the protocols (replies, capabilities, certificate names) is read by the
pure functions of ``dialogue``; ``listener`` holds the sockets.
"""

from tier3.probe.dialogue import PROTOCOLS
from tier3.probe.listener import DEFAULT_TIMEOUT, Listener, probe_listener, probe_listeners

__all__ = ["DEFAULT_TIMEOUT", "PROTOCOLS", "Listener", "probe_listener", "probe_listeners"]
