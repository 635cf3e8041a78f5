import pytest
from business_fixtures import biz  # noqa: F401


@pytest.fixture(autouse=True)
def _default_language():
    """Another module's test may have switched this process's message language (set_language)."""
    from ecerp_core.i18n import _current

    token = _current.set(None)
    yield
    _current.reset(token)
