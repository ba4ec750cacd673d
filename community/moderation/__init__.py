"""Moderation: the audit log of every moderator and admin action (the review queue arrives with the forums)."""
