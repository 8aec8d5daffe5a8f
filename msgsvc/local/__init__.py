"""What msgsvc keeps on this machine: config and profiles, the keyring, credential checks, caches.

Imports the API layer and the shared top level.
"""
