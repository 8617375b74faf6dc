from services.escalation.cases import models as _cases  # noqa: F401  (register tables)
from services.escalation.db import Base
from services.escalation.policy import models as _policy  # noqa: F401
from shared.migrations import run_env

run_env(Base.metadata)
