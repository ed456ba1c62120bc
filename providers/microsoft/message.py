"""A note as Graph's message JSON: recipients, one body, our key twice, an optional flag."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from afterword.daemon.errors import ProviderError

# Our own property set: a GUID that is Afterword's, a named string property.
PROPERTY_SET = "{6f0c2d0e-5a3b-4f0e-9b7d-a7e2f1c3d9b4}"
PROPERTY_ID = f"String {PROPERTY_SET} Name AfterwordKey"
KEY_HEADER = "x-afterword-key"


def draft_payload(key: str, message: EmailMessage,
                  flag_due: datetime | None = None) -> dict[str, Any]:
    """The Graph message JSON for an EmailMessage built by the cycle."""
    recipients = []
    for name, address in getaddresses([str(v) for v in message.get_all("To", [])]):
        if address:
            entry: dict[str, Any] = {"address": address}
            if name:
                entry["name"] = name
            recipients.append({"emailAddress": entry})
    if not recipients:
        raise ProviderError("the note has no recipient")
    html = message.get_body(("html",))
    plain = message.get_body(("plain",))
    if html is not None:
        # A Graph message has one body: the HTML alternative when the template made one.
        body = {"contentType": "HTML", "content": html.get_content()}
    elif plain is not None:
        body = {"contentType": "Text", "content": plain.get_content()}
    else:
        raise ProviderError("the note has no text")
    payload: dict[str, Any] = {
        "subject": str(message.get("Subject", "")),
        "body": body,
        "toRecipients": recipients,
        "singleValueExtendedProperties": [{"id": PROPERTY_ID, "value": key}],
        "internetMessageHeaders": [{"name": KEY_HEADER, "value": key}],
    }
    due = flag_due.astimezone(UTC) if flag_due is not None else None
    if due is not None:
        # Graph refuses a due date without a start date (400).
        start = min(datetime.now(UTC), due - timedelta(minutes=1))
        payload["flag"] = {
            "flagStatus": "flagged",
            "startDateTime": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"),
                              "timeZone": "UTC"},
            "dueDateTime": {"dateTime": due.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        }
    return payload
