"""One module per CLI command that does more than call the runtime."""
