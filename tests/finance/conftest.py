from finance_fixtures import books  # noqa: F401
