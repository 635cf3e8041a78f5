"""Every table of ecerp: the one module that imports every area's models.

What needs the whole schema (migrations, creating or emptying a test database, the demo's row
counts, benchmarks) reads :data:`metadata` here, so the bottom of the house (``db``) never reaches
up into the areas.
"""

from __future__ import annotations

# Importing a models module is what registers its tables in Base.metadata.
from ecerp_core import audit, auth, signin  # noqa: F401
from ecerp_core.analytics import models as _analytics  # noqa: F401
from ecerp_core.catalog import models as _catalog  # noqa: F401
from ecerp_core.crm import models as _crm  # noqa: F401
from ecerp_core.db import Base
from ecerp_core.finance import models as _finance  # noqa: F401
from ecerp_core.orders import models as _orders  # noqa: F401
from ecerp_core.purchasing import models as _purchasing  # noqa: F401
from ecerp_core.stock import models as _stock  # noqa: F401

metadata = Base.metadata
"""The tables of every area (SQLAlchemy ``MetaData``)."""
