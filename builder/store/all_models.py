"""Every mapped model, imported so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from builder.store import generation, people_models, policy_models  # noqa: F401
from builder.store.models import Base

__all__ = ["Base"]
