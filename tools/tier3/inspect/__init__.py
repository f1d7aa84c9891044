"""``tier3 inspect KIND SOURCE``: read what a host or a BMC says, parse it, judge it, report it.

Each kind is one row of a table (``Kind``, never an if-chain): the evidence a host must give for
it (``Evidence``: the files and commands the host evidence module collects, from this same table),
how a saved SOURCE is read, the parser, and the facts it reports. The observed rules that judge a
kind are the catalogue's rules naming it (``tier3.rules.rules_for``). ``inspect_source`` conducts:
read -> parse -> judge -> report, and returns a JSON-ready report::

    {"kind": "mdstat", "source": "proc_mdstat.txt",
     "redundant": false,            # redundancy kinds; "encrypted": ... for encryption kinds
     ...parsed facts...,
     "findings": [Finding.to_dict(), ...]}

"redundant" has one meaning for every kind: ``tier3.rules.redundant(findings)``. Bad input raises
``tier3.errors.ParseError`` (or ``DeviceError`` for a BMC that answers badly), naming the source
and the line or JSON pointer; the CLI turns it into one line and exit 2.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tier3.model import Finding, Topology
from tier3.model.policy import DEFAULT_POLICY, Policy
from tier3.rules import Context, judge, redundant, rules_for
from tier3.sources import read_text


@dataclass(frozen=True)
class InspectOptions:
    """Options from the command line: BMC access, and the policy (and declared host) to judge with."""

    ca_file: str | None = None
    insecure: bool = False
    username_env: str = "TIER3_BMC_USERNAME"
    password_env: str = "TIER3_BMC_PASSWORD"
    timeout: float = 10.0
    retries: int = 2
    extra: dict[str, Any] = field(default_factory=dict)
    policy: Policy = DEFAULT_POLICY
    topology: Topology | None = None
    host: str | None = None


@dataclass(frozen=True)
class Evidence:
    """One item a host gives for a kind: a file (or glob of files), or a command's standard output.

    ``argv`` may hold ``{item}``, replaced by each match of the glob ``each`` (one run per match,
    none when nothing matches). Read-only by construction: only these commands are ever run.
    """

    path: str = ""  # /proc/mdstat, /proc/net/bonding/*
    argv: tuple[str, ...] = ()  # ("mdadm", "--detail", "{item}")
    each: str = ""  # /dev/md[0-9]*


def _read_saved_text(source: str, _options: InspectOptions) -> tuple[Any, str]:
    return read_text(source), ""


@dataclass(frozen=True)
class Kind:
    name: str
    summary: str
    verdict: str  # "redundant", "encrypted" or "facts": the top-level key the report carries
    evidence: tuple[Evidence, ...]  # what a host gives; () for kinds the controller reads (BMCs)
    parse: Callable[[Any, str, InspectOptions], Any]  # (raw, source, options) -> facts
    report: Callable[[Any, Sequence[Finding], Any], dict[str, Any]]  # (facts, findings, raw) -> facts as JSON
    described: Callable[[Any, str], str]  # (facts, how it was read) -> the command or file, as evidence says it
    read: Callable[[str, InspectOptions], tuple[Any, str]] = _read_saved_text  # SOURCE -> (raw, how it was read)
    decide: Callable[[Any, Sequence[Finding]], bool | None] | None = None  # verdict other than redundant(findings)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The observed rules that judge this kind (from the one catalogue)."""
        return tuple(r.id for r in rules_for(self.name))

    def inspect(self, source: str, options: InspectOptions) -> dict[str, Any]:
        """Read -> parse -> judge -> report."""
        raw, how = self.read(source, options)
        return self.inspect_raw(raw, source, options, how)

    def inspect_raw(self, raw: Any, source: str = "-", options: InspectOptions | None = None,
                    how: str = "") -> dict[str, Any]:
        """Parse -> judge -> report, on evidence already read (a host's item, a test's text)."""
        opts = options or InspectOptions()
        facts = self.parse(raw, source, opts)
        context = Context(source=source, read=self.described(facts, how), policy=opts.policy,
                          topology=opts.topology, host=opts.host)
        findings = judge(self.name, facts, context)
        verdict: dict[str, Any] = {}
        if self.verdict != "facts":
            verdict[self.verdict] = self.decide(facts, findings) if self.decide else redundant(findings)
        return {"kind": self.name, "source": context.source, **verdict, **self.report(facts, findings, raw),
                "findings": [f.to_dict() for f in findings]}


def redundant_subject(findings: Sequence[Finding], subject: str) -> bool:
    """``redundant`` over the findings of one device and its members (``/dev/md0``, ``/dev/md0:vdb``)."""
    return redundant([f for f in findings if f.subject == subject or f.subject.startswith(f"{subject}:")])


def linux_kinds() -> dict[str, Kind]:
    """The kinds a Linux host gives (files and commands), by name."""
    from tier3.inspect import encryption, network, storage  # noqa: PLC0415  lazy: validate needs no parsers

    return {**storage.KINDS, **network.KINDS, **encryption.KINDS}


def all_kinds() -> dict[str, Kind]:
    """Every kind, by name (imported on first use so ``tier3 validate`` does not pay for it)."""
    from tier3.inspect import bmc, dns, logs, mail, tls_scan, topology  # noqa: PLC0415

    return {**linux_kinds(), **mail.KINDS, **logs.KINDS, **tls_scan.KINDS, **dns.KINDS, **bmc.KINDS, **topology.KINDS}
