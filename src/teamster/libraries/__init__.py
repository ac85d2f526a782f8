"""Reusable asset builders and resources, one subpackage per integration."""
