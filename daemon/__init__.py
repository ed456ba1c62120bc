"""The Afterword application: what happens, and when."""

__version__ = "0.1.0"
