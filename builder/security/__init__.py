"""Security: the secret box (encryption at rest); auth, roles, allowlists, audit come later."""
