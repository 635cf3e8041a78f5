"""Throughput benchmarks, run by ``ecerp bench``: each prints ecerp beside a raw baseline.

:mod:`benchmarks.core` holds what every benchmark shares (configuration, result, timer, registry);
:mod:`benchmarks.suite` loads them all. This package itself loads nothing, so
``python -m benchmarks.import_graph`` runs without ecerp's dependencies.
"""
