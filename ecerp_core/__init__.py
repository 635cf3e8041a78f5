"""ecerp core: models, rules and services of an e-commerce ERP.

The core holds no widgets and no notebook code; apps in ``widgets/`` and notebooks call into it.
"""

__version__ = "0.1.0"
