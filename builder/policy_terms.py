"""The names policy is written in: roles and allowlist scopes.

A module of constants only: the command line lists them in its help and choices, and importing
the models (SQLAlchemy and its ORM, ~0.45 s) for that slowed every ``toolcrib`` command,
``serve`` included.
"""

#: admin: users, data sources, allowlists, audit. developer: build and publish apps, write
#: queries. operator: use the apps granted to them.
ROLES = ("admin", "developer", "operator")

#: An empty allowlist at a level means "no restriction at this level".
ALLOWLIST_SCOPES = ("instance", "app", "datasource")
