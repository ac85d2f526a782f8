"""Tableau workbooks as assets downstream of the kipptaf_tableau models they read."""
