"""The symptom diary's pages (being built)."""
