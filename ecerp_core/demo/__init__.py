"""The demo business, built through the same services as real data.

:mod:`~ecerp_core.demo.build` composes the steps (one module per area: ``catalog``, ``orders``
with its ``pipeline``, ``stock``, ``purchasing``, ``finance``), which share
:mod:`~ecerp_core.demo.context`. Nothing below the demo imports it.
"""
