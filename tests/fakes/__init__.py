"""Loopback fakes of the provider APIs (they speak the real REST protocols)."""
