"""Placeholder: routes to be written (see pitches/views.py)."""
