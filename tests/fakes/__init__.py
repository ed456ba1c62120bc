"""Loopback fakes of outside services (they speak the real protocols and record requests)."""
