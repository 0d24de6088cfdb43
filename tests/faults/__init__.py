"""Fault tests: connections killed, servers restarted and crashed, hostile rows."""
