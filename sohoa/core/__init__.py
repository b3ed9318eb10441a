"""The base layer: errors, settings, file-system helpers and text folding.

Everything else in sohoa may import these; they import nothing of sohoa."""
