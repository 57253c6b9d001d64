"""Security pieces: secret box (encryption at rest); auth, roles, allowlists and audit come later."""
