"""provider = "local": a calendar from .ics files, drafts into a Maildir."""
