"""DeansList: incidents and behaviour per school, over its REST API (one key per school)."""
