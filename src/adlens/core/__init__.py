"""Core services shared by the API and the CLI: password hashing and tokens."""
