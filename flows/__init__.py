"""Prefect flows and tasks: thin wrappers that sequence pipeline/ and storage/ calls."""
