"""Every context's tables and permissions, imported so that `Base.metadata` and the
permission catalogue are complete (migrations, role sync, tests)."""

from fengkong.alerts import models as alerts_models
from fengkong.alerts import permissions as alerts_permissions
from fengkong.core import models as core_models
from fengkong.core.db import Base
from fengkong.decision import models as decision_models
from fengkong.decision import permissions as decision_permissions
from fengkong.ledger import models as ledger_models
from fengkong.ledger import permissions as ledger_permissions
from fengkong.loans import models as loans_models
from fengkong.loans import permissions as loans_permissions
from fengkong.org import models as org_models
from fengkong.telematics import command_models as telematics_command_models
from fengkong.telematics import models as telematics_models
from fengkong.telematics import permissions as telematics_permissions
from fengkong.telematics.analytics import models as gps_analytics_models
from fengkong.telematics.analytics import permissions as gps_analytics_permissions
from fengkong.telematics.health import models as telematics_health_models

metadata = Base.metadata

__all__ = ["alerts_models", "alerts_permissions", "core_models", "decision_models",
           "decision_permissions", "ledger_models", "ledger_permissions", "loans_models",
           "loans_permissions", "metadata", "org_models", "telematics_command_models",
           "telematics_health_models", "telematics_models", "telematics_permissions",
           "gps_analytics_models", "gps_analytics_permissions"]
