"""Sales-platform connectors: export-file parsers and API clients that turn a platform's orders
into :class:`~ecerp_core.orders.drafts.OrderDraft` values, plus request signing and webhooks.

One module per platform (``taobao``, ``jd``, ``pdd``, ``shopify``, ``woocommerce``, ``generic``);
:func:`ecerp_core.connectors.files.import_files` is the entry point of the CLI and the apps.
"""
