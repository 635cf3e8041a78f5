from business_fixtures import biz  # noqa: F401
