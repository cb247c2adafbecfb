"""Carrier local stack: the whole stack in one process against an embedded moto server."""
