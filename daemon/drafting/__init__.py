"""Turning an interview into finished draft messages: templates, composition, MIME."""
