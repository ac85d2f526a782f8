"""The kippmiami code location."""
