"""The kipppaterson code location."""
