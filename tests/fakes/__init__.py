"""Loopback fakes of outside services used by the tests."""
