"""Loopback fake servers that speak the real REST protocols of the providers."""
