"""Rules for notifications: every change of state happens here, in one transaction."""
