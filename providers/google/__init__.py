"""provider = "google": Google Calendar in, Gmail drafts out."""
