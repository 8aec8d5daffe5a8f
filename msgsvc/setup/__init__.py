"""A whole messaging setup as a file: its format, reading the account, the diff, plan and apply.

Imports the jobs and API layers and the shared top level.
"""
