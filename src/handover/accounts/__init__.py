"""Signing in and staying signed in safely: expiring, revocable, hashed API tokens; two-factor for the roles that
need it; lockout after repeated failures; single sign-on that maps an identity to a member of staff."""
