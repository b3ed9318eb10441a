"""End-to-end tests on the production backends: the real MinIO and Elasticsearch."""
