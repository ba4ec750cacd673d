"""Rules for forums: every change of state happens here, in one transaction."""
