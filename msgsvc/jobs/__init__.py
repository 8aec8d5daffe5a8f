"""Changes as data, planning sender changes, and the executor that sends them.

Imports the API layer and the shared top level.
"""
