"""The advocacy letters' pages (being built)."""
