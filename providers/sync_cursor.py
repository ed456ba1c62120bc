"""The cursor a synced calendar keeps between reads: the span it read, when, each
calendar's marker (a sync token, a CTag), and what each stored object gave."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

_VERSION = 1


@dataclass
class SyncCursor:
    """What the next read starts from; the store keeps it as text (`dump`/`load`)."""

    start: datetime
    end: datetime
    synced_at: datetime
    tokens: dict[str, str]  # calendar → its provider's marker
    ids: dict[str, list[str]] = field(default_factory=dict)  # object → the event ids it gave

    def dump(self) -> str:
        """The cursor as the store keeps it."""
        return json.dumps({"v": _VERSION, "start": self.start.isoformat(),
                           "end": self.end.isoformat(), "at": self.synced_at.isoformat(),
                           "tokens": self.tokens, "ids": self.ids}, sort_keys=True)

    @classmethod
    def load(cls, text: str | None) -> SyncCursor | None:
        """The cursor from its text; None for none, or another provider's or version's
        (the calendar is then read in full)."""
        if not text:
            return None
        try:
            data = json.loads(text)
            if data.get("v") != _VERSION:
                return None
            tokens, ids = data["tokens"], data.get("ids", {})
            if not (isinstance(tokens, dict) and isinstance(ids, dict)
                    and all(isinstance(v, str) for v in tokens.values())
                    and all(isinstance(v, list) for v in ids.values())):
                return None
            return cls(datetime.fromisoformat(data["start"]),
                       datetime.fromisoformat(data["end"]),
                       datetime.fromisoformat(data["at"]), tokens,
                       {str(k): [str(i) for i in v] for k, v in ids.items()})
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
