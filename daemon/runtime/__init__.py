"""Running the application: the cycle, the service, the state, secrets, logging, paths."""
