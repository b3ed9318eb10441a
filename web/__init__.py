"""The web app for clerks and managers: a REST API and server-rendered pages (``sohoa serve``)."""
