"""Several copies of one event: which one is in force (RFC 5546).

People save each invitation they get: "invite.ics", then "invite (1).ics" when the
interview moves, and a cancellation beside them. Every copy carries the event's UID; an
update has a higher SEQUENCE (or the same one and a later DTSTAMP), and a copy sent with
METHOD:CANCEL cancels the event when its SEQUENCE is at least that of the copy in force.
Overrides of single occurrences (RECURRENCE-ID) are not copies of the series: each
RECURRENCE-ID is judged on its own, and a cancelled series cancels its overrides.
"""

from __future__ import annotations

import re

from afterword.providers.local.ics_text import Block

# Answers to an invitation, not the invitation: an attendee's REPLY holds only that
# attendee. They count only when nothing else about the event was saved.
_ANSWERS = frozenset({"REPLY", "REFRESH", "COUNTER", "DECLINECOUNTER"})
_STAMP = re.compile(r"\d{8}T\d{6}Z?")


def in_force(blocks: list[Block]) -> list[Block]:
    """The events as they stand, in reading order: one block per UID and RECURRENCE-ID,
    cancelled ones marked STATUS:CANCELLED."""
    by_uid: dict[str, list[Block]] = {}
    alone: list[Block] = []
    for block in blocks:
        uid = block.uid
        if uid:
            by_uid.setdefault(uid, []).append(block)
        else:
            alone.append(block)  # no UID: nothing to be a copy of
    chosen = list(alone)
    for group in by_uid.values():
        if len(group) == 1 and group[0].source.method not in ("CANCEL", *_ANSWERS):
            chosen.append(group[0])
        else:
            chosen.extend(_one_series(group))
    return sorted(chosen, key=lambda b: b.order)


def _one_series(group: list[Block]) -> list[Block]:
    invitations = [b for b in group if b.source.method not in _ANSWERS]
    by_rid: dict[str, list[Block]] = {}
    for block in invitations or group:
        by_rid.setdefault(_rid(block), []).append(block)
    result: list[tuple[str, Block]] = []
    series_cancelled: int | None = None
    for rid, copies in by_rid.items():
        live = [b for b in copies if b.source.method != "CANCEL"]
        cancels = [b for b in copies if b.source.method == "CANCEL"]
        best = max(live, key=_rank) if live else None
        cancel = max(cancels, key=_rank) if cancels else None
        if cancel is not None and (best is None or _sequence(cancel) >= _sequence(best)):
            result.append((rid, cancelled(best or cancel)))
            if not rid:
                series_cancelled = _sequence(cancel)
        elif best is not None:
            result.append((rid, best))
    if series_cancelled is not None:
        # The whole series was cancelled: so were its overrides, unless one is newer.
        result = [(rid, cancelled(b) if rid and _sequence(b) <= series_cancelled else b)
                  for rid, b in result]
    return [block for _, block in result]


def _rank(block: Block) -> tuple[int, str, int]:
    stamp = (block.value("DTSTAMP") or "").strip().upper()
    return (_sequence(block), stamp if _STAMP.fullmatch(stamp) else "", block.order)


def _sequence(block: Block) -> int:
    raw = (block.value("SEQUENCE") or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0


def _rid(block: Block) -> str:
    """The RECURRENCE-ID as written (parameters included); "" for the series itself."""
    for line in block.lines[1:-1]:
        if line[:14].upper() in ("RECURRENCE-ID:", "RECURRENCE-ID;"):
            return line[13:].upper()
    return ""


def cancelled(block: Block) -> Block:
    """The same event with STATUS:CANCELLED in place of its own STATUS."""
    lines = [block.lines[0], "STATUS:CANCELLED"]
    depth = 0
    for line in block.lines[1:]:
        head = line[:7].upper()
        if head.startswith("BEGIN:"):
            depth += 1
        elif head.startswith("END:"):
            depth -= 1
        elif not depth and head in ("STATUS:", "STATUS;"):
            continue
        lines.append(line)
    return Block(lines, block.index, block.source, block.order)
