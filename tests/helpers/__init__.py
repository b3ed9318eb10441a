"""Functions the tests share; the conftest files hold only fixtures, which call these.

- ``pages``: page images to files, pasting, character error rate.
- ``records``: records built for the storage contract, and indexing them.
- ``backends``: a fresh object store or search index of a named backend.
- ``live_services``: where the live MinIO, Elasticsearch and PostgreSQL are, their
  health, clients, ``scripts/services.sh``, and removing what a test left on them.
- ``databases``: a fresh relational database, a SQLite file or one on the live PostgreSQL.
- ``demo_ingest``: the demo batch digitized into the live servers.
- ``cli``: the installed ``sohoa`` command run as a user runs it.
- ``prefect``: offline Prefect defaults and a throwaway Prefect home.
- ``forked_cli``: ``sohoa`` commands forked from one warm interpreter (fault trials).
- ``faults``: after a fault, no process left and an archive whole (nothing lost or doubled).

The generated scans themselves come from ``sohoa.samples``.
"""
