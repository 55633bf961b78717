"""Imported by the sweep's fork server (a preload module of
:func:`slimplace.study.executors.worker_context`): the fork server dies with the
driver that started it (:func:`slimplace.study.lifeline.die_with_parent`).
Importing it anywhere else does nothing."""

from slimplace.study.lifeline import die_with_parent, in_fork_server

if in_fork_server():
    die_with_parent()
