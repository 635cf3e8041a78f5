"""The Voila apps' widgets: one package per app (``model.py`` + ``view.py``) and ``common``."""
