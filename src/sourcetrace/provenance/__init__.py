"""Provenance: from each claim down its attribution chain to origins and their controllers,
and how many of those origins are independent of one another."""
