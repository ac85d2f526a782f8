"""The kipptaf code location: network-wide (CMO) reporting."""
