"""The mailbox cursors kept in the state, so a new process tracks Drafts on from where the
last one left off (a Gmail historyId, a Graph deltaLink) instead of listing them again."""

from __future__ import annotations

from afterword.daemon.runtime.store import Store
from afterword.providers.base import DraftMailbox


class KeptCursors:
    """Each account's cursor: restored at the mailbox's first use in this process, kept
    with the states it saw, forgotten before a draft is written."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._known: dict[str, str | None] = {}  # account → the cursor as in the state
        self._mailboxes: dict[str, DraftMailbox] = {}

    def open(self, account: str, mailbox: DraftMailbox, writing: bool = False) -> DraftMailbox:
        """The mailbox, restored from the kept cursor the first time it is used. With
        `writing` (a draft is about to be written, which the kept view does not hold) the
        kept cursor is forgotten: after a crash the next process looks at Drafts afresh,
        whatever the provider shows."""
        if account not in self._known:
            self._known[account] = self.store.mailbox_cursor(account)
            mailbox.restore(self._known[account])
        self._mailboxes[account] = mailbox
        if writing and self._known[account] is not None:
            self.store.set_mailbox_cursor(account, None)
            self._known[account] = None
        return mailbox

    def keep(self, account: str) -> None:
        """Write the mailbox's cursor after `draft_states`, in the caller's transaction
        with the states it saw (a rollback leaves an older cursor: that only costs a
        fresh look at Drafts)."""
        cursor = self._mailboxes[account].cursor()
        if cursor != self._known.get(account):
            self.store.set_mailbox_cursor(account, cursor)
            self._known[account] = cursor
