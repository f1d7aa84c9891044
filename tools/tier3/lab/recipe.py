"""The lab image recipe: what goes into the Debian image, where it comes from, and its hash.

Pure functions: the hash covers the suite, the package list and every file under ``files/``
(the build script included), so the image tag changes exactly when the recipe does. The mirror
is read from the machine's apt sources at run time and is not part of the recipe.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

SUITE = "bookworm"
IMAGE_NAME = "localhost/tier3-lab-debian12"
CURRENT_TAG = "current"  # a moving tag on the newest build, for Molecule's molecule.yml
FILES = Path(__file__).resolve().parent / "files"

# Debootstrap --include list: systemd as init, what Ansible needs, and (so converges stay fast in
# CI) the packages roles/baseline installs; the role still ensures them on real hosts.
PACKAGES: tuple[str, ...] = (
    # init and the container basics
    "systemd-sysv", "dbus", "iproute2", "procps", "ca-certificates",
    # Ansible on the host: python3 and the apt bindings the apt module uses
    "python3", "python3-apt",
    # roles/baseline (keep in sync with roles/baseline/vars/main.yml __baseline_packages)
    "openssh-server", "openssh-client", "chrony", "nftables", "unattended-upgrades", "apt-listchanges",
    # the mail roles (keep in sync with each role's vars/main.yml __<role>_packages): downloaded
    # with the rest, then left uninstalled (CACHED_ONLY)
    "postfix", "dovecot-core", "dovecot-imapd", "dovecot-lmtpd", "keepalived", "haproxy",
    "opendkim", "opendkim-tools",
    # roles/dns_authoritative (Knot 3.2 and its knotc/kdig tools) on the dns pair
    "knot", "knot-dnsutils",
    # roles/monitoring (Prometheus, Alertmanager) on the monitoring pair, roles/monitoring_agent (node
    # exporter) on every service host
    "prometheus", "prometheus-alertmanager", "prometheus-node-exporter",
    # roles/archive (age encrypts each message on the archive pair)
    "age",
    # community.crypto on the hosts (python3-cffi-backend named: debootstrap does not resolve the
    # virtual python3-cffi-backend-api-* packages python3-cryptography depends on)
    "python3-cryptography", "python3-cffi-backend",
)

# Of PACKAGES, those the image keeps as .debs in apt's cache but does not install: the mail stack.
# The first converge of a fresh lab then installs them, as on a fresh host (every role's install
# task runs for real, and a role that needs a package another role installs fails in CI, not in
# production), from the cache: no download. The lab's own peers get postfix's tools (smtp-sink,
# smtp-source) from playbooks/lab.yml.
CACHED_ONLY: tuple[str, ...] = (
    "postfix", "dovecot-core", "dovecot-imapd", "dovecot-lmtpd", "keepalived", "haproxy", "opendkim", "opendkim-tools",
    "knot", "knot-dnsutils", "prometheus", "prometheus-alertmanager", "prometheus-node-exporter", "age",
)


@dataclass(frozen=True)
class Recipe:
    suite: str
    packages: tuple[str, ...]
    files: dict[str, bytes]  # name under files/ -> content
    cached_only: tuple[str, ...] = ()  # of packages: in apt's cache, not installed

    @property
    def digest(self) -> str:
        """12 hex digits of SHA-256 over suite, packages and files, in a stable order."""
        h = hashlib.sha256()
        h.update(f"suite={self.suite}\n".encode())
        h.update(("packages=" + ",".join(sorted(self.packages)) + "\n").encode())
        h.update(("cached_only=" + ",".join(sorted(self.cached_only)) + "\n").encode())
        for name in sorted(self.files):
            h.update(f"file={name} {len(self.files[name])}\n".encode())
            h.update(self.files[name])
        return h.hexdigest()[:12]

    @property
    def image(self) -> str:
        return f"{IMAGE_NAME}:{self.digest}"


def load_recipe(files: Path = FILES, packages: tuple[str, ...] = PACKAGES, suite: str = SUITE,
                cached_only: tuple[str, ...] = CACHED_ONLY) -> Recipe:
    """The recipe as it is on disk now (every regular file under ``files``)."""
    contents = {p.relative_to(files).as_posix(): p.read_bytes() for p in sorted(files.rglob("*")) if p.is_file()}
    return Recipe(suite, tuple(packages), contents, tuple(cached_only))


@dataclass(frozen=True)
class Mirrors:
    debian: str  # e.g. http://deb.debian.org/debian
    security: str  # e.g. http://deb.debian.org/debian-security


def _entries_one_line(text: str) -> list[tuple[str, list[str]]]:
    """(uri, suites) of the ``deb`` lines of a sources.list file."""
    out: list[tuple[str, list[str]]] = []
    for raw in text.splitlines():
        words = raw.split("#", 1)[0].split()
        if len(words) < 3 or words[0] != "deb":
            continue
        rest = words[1:]
        if rest[0].startswith("["):  # options: [arch=amd64 signed-by=...]
            while rest and not rest[0].endswith("]"):
                rest = rest[1:]
            rest = rest[1:]
        if len(rest) >= 2:
            out.append((rest[0], [rest[1]]))
    return out


def _entries_deb822(text: str) -> list[tuple[str, list[str]]]:
    """(uri, suites) of each enabled ``Types: deb`` stanza of a .sources file."""
    out: list[tuple[str, list[str]]] = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0].isspace() and key:
                fields[key] += " " + line.strip()
                continue
            key, _, value = line.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes").lower() == "no":
            continue
        suites = fields.get("suites", "").split()
        out.extend((uri, suites) for uri in fields.get("uris", "").split())
    return out


def find_mirrors(sources: dict[str, str], suite: str = SUITE) -> Mirrors | None:
    """The Debian and security mirrors named in apt source files (path -> text), or None.

    ``.sources`` files are deb822, others one-line; the first entry carrying ``suite`` is the
    Debian mirror, the first carrying ``suite-security`` the security mirror (when there is none,
    the Debian mirror's host with ``/debian-security``).
    """
    entries: list[tuple[str, list[str]]] = []
    for path in sorted(sources):
        parse = _entries_deb822 if path.endswith(".sources") else _entries_one_line
        entries.extend(parse(sources[path]))
    debian = next((uri for uri, suites in entries if suite in suites), None)
    if debian is None:
        return None
    security = next((uri for uri, suites in entries if f"{suite}-security" in suites), None)
    if security is None:
        security = debian.rstrip("/").rsplit("/", 1)[0] + "/debian-security"
    return Mirrors(debian.rstrip("/"), security.rstrip("/"))


def read_apt_sources(root: Path = Path("/etc/apt")) -> dict[str, str]:
    """The machine's apt source files: sources.list and sources.list.d/*.list|*.sources."""
    files = [root / "sources.list", *sorted((root / "sources.list.d").glob("*.list")),
             *sorted((root / "sources.list.d").glob("*.sources"))]
    return {str(p): p.read_text(encoding="utf-8", errors="replace") for p in files if p.is_file()}
