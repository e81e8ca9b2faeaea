"""Fixtures shared by the pitches tests (each test file keeps its own for now)."""
