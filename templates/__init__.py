"""Packaged default templates for thank-you notes."""
