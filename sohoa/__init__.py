"""sohoa: digitize administrative dossiers into stored, searchable records."""

__version__ = "0.1.0"
