"""Backups of the whole database: `flask backup` and `flask restore` (registered in create_app).

SQLite is copied with its online backup API (safe while the site runs); PostgreSQL with pg_dump's custom format and
pg_restore. A backup holds every member's health data: it is written owner-only (mode 0600) and must be kept
encrypted and access-controlled (README, "Backups"). This package imports no feature.
"""
