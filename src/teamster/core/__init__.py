"""Shared resources, IO, settings and naming used by every library and code location."""
