"""``python -m ecerp_core`` runs the ``ecerp`` command."""

from ecerp_core.cli import main

main()
