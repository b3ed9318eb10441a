"""Object store and search index adapters behind the Protocols in storage.protocols."""
