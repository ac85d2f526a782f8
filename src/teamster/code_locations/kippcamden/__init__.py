"""The kippcamden code location."""
