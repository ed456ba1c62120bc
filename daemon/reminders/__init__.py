"""Reminders: when to remind (policy), the I/O around it (sending), the channels."""
