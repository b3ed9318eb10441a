"""The application layer: what the CLI, the flows and the web app share.

Intake (a batch planned, checked, its dossiers finished and archived), records
(search, show, download), statistics, and the backends built from settings."""
