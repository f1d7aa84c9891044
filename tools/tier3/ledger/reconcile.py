"""What Postfix accepted against what each archive replica holds: the facts T3-OBS-ARC-010 judges. Pure.

Postfix logs each message it accepts once, with its queue id and Message-ID (cleanup(8); the journal
copies are recipients of the same queue file, so they add no line). A message is accounted for on an
archive host when an ingest entry there carries its Message-ID, or when its copy for that host still
waits in an MX queue (the host was down: waiting is not missing). Messages are matched by Message-ID
as a multiset, so the same Message-ID accepted twice must be archived twice; a message without one is
matched by its empty id, so a count still catches it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reconciliation:
    accepted: int  # messages the MX pair accepted in the window
    archived: Mapping[str, int] = field(default_factory=dict)  # host -> of them, archived there
    waiting: Mapping[str, int] = field(default_factory=dict)  # host -> of them, whose copy waits in an MX queue
    missing: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # host -> Message-IDs neither


def reconcile(accepted: Iterable[tuple[str, str]], archived: Mapping[str, Collection[str]],
              waiting: Mapping[str, Collection[str]]) -> Reconciliation:
    """``accepted``: (queue id, Message-ID) per message Postfix accepted; ``archived``: host -> the
    Message-IDs of its ingest entries; ``waiting``: host -> queue ids whose copy for it is still queued."""
    by_queue_id = dict(accepted)
    wanted = Counter(by_queue_id.values())
    archived_counts, waiting_counts, missing = {}, {}, {}
    for host, ids in sorted(archived.items()):
        held = Counter(ids)
        queued = Counter(by_queue_id[q] for q in waiting.get(host, ()) if q in by_queue_id)
        gap = wanted - held - queued
        archived_counts[host] = sum((wanted & held).values())
        waiting_counts[host] = sum((wanted & queued).values())
        missing[host] = tuple(sorted(gap.elements()))
    return Reconciliation(sum(wanted.values()), archived_counts, waiting_counts, missing)
