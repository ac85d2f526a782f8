"""The kippnewark code location."""
