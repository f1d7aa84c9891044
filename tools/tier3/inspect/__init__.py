"""``tier3 inspect KIND SOURCE``: parse what a host or a BMC says, and judge it.

Each kind is an entry in ``KINDS`` (a table, never an if-chain): its ``inspect`` function takes
the SOURCE argument and the options and returns a JSON-ready report::

    {"kind": "mdstat", "source": "proc_mdstat.txt",
     "redundant": false,            # redundancy kinds; "encrypted": ... for encryption kinds
     ...parsed facts...,
     "findings": [Finding.to_dict(), ...]}

Bad input raises ``tier3.errors.ParseError`` (or ``DeviceError`` for a BMC that answers badly),
naming the source and the line or JSON pointer; the CLI turns it into one line and exit 2.

Linux tool kinds live in ``tier3.inspect.linux``; BMC kinds (redfish, ipmi-sdr) in
``tier3.inspect.bmc``. Both export ``KINDS: dict[str, Kind]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from tier3.model.finding import Finding, Location, Severity, Status


@dataclass(frozen=True)
class InspectOptions:
    """Options from the command line that some kinds use (BMC access)."""

    ca_file: str | None = None
    insecure: bool = False
    username_env: str = "TIER3_BMC_USERNAME"
    password_env: str = "TIER3_BMC_PASSWORD"
    timeout: float = 10.0
    retries: int = 2
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Kind:
    name: str
    summary: str
    verdict: str  # "redundant", "encrypted" or "facts": the top-level key the report carries
    inspect: Callable[[str, InspectOptions], dict[str, Any]]


@dataclass(frozen=True)
class ObservedRule:
    """A rule on observed facts (T3-OBS-*): what a parser's issue code means in a report."""

    id: str
    severity: Severity
    title: str
    hint: str
    controls: tuple[str, ...]
    breaks_redundancy: bool = True


class ObservedIssue(Protocol):
    """What every parser reports as wrong (``tier3.parsers._text.Issue`` and its BMC twins)."""

    @property
    def code(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def where(self) -> str: ...
    @property
    def evidence(self) -> Mapping[str, Any]: ...


def observed_findings(
    issues: Iterable[ObservedIssue], rules: Mapping[str, ObservedRule], source: str, read: str
) -> list[dict[str, Any]]:
    """Each issue as a failed Finding of the rule its code names, with where it was read."""
    out = []
    for issue in issues:
        rule = rules[issue.code]
        out.append(Finding(
            rule_id=rule.id, severity=rule.severity, status=Status.FAIL, subject=issue.subject, title=rule.title,
            message=issue.message, evidence={"source": source, "read": read, "at": issue.where, **dict(issue.evidence)},
            controls=rule.controls, location=Location(source, issue.where), hint=rule.hint,
        ).to_dict())
    return out


def all_kinds() -> dict[str, Kind]:
    """Every kind, by name (imported on first use so ``tier3 validate`` does not pay for it)."""
    from tier3.inspect import bmc, linux  # noqa: PLC0415  lazy: validate must not import parsers

    return {**linux.KINDS, **bmc.KINDS}
