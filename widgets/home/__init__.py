"""The home page: every app of the suite, as data (:data:`widgets.home.registry.APPS`)."""
