from services.reporting.db import Base, import_models
from shared.migrations import run_env

import_models()
run_env(Base.metadata)
