"""Check-in at the gate: lists, gates, scanner devices, scans (online and offline)."""
