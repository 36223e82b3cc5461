"""Every context's tables, imported so that `Base.metadata` is complete (migrations, tests)."""

from fengkong.core import models as core_models
from fengkong.core.db import Base
from fengkong.org import models as org_models

metadata = Base.metadata

__all__ = ["core_models", "metadata", "org_models"]
