"""Placeholder: routes to be written (see booths/views.py)."""
