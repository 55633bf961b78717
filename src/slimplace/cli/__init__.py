"""Command-line interface: a thin skin over the Python API.

Each module here adds its commands to :data:`slimplace.cli.app.app`; importing
this package registers them all.
"""

from slimplace.cli import (
    calibrate_cmd,  # noqa: F401
    catalog_cmd,  # noqa: F401
    compare_cmd,  # noqa: F401
    demo_cmd,  # noqa: F401
    explain_cmd,  # noqa: F401
    import_cmd,  # noqa: F401
    plan_cmds,  # noqa: F401
    profile_cmd,  # noqa: F401
    scenario_cmds,  # noqa: F401  (registers commands)
    schedule_cmd,  # noqa: F401
    sensitivity_cmd,  # noqa: F401
    simulate_cmd,  # noqa: F401
    split_cmd,  # noqa: F401
    study_cmds,  # noqa: F401
)
from slimplace.cli.app import app


def main() -> None:
    """Entry point of the ``slimplace`` script."""
    app()


__all__ = ["app", "main"]
