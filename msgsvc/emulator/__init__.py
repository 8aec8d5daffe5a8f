"""`msgsvc emulator`: a local stand-in for the part of Twilio's API that msgsvc uses.

- `store.py`: the account's state (services, senders, phone numbers), its rules and errors,
  seeding and the JSON state file. One lock; no HTTP.
- `api.py`: routing and rendering: paths, auth, query/form parsing, pagination, the exact
  response shapes of Messaging v1 and the 2010 IncomingPhoneNumbers list.
- `server.py`: the threaded HTTP server (standard library only), fail rate and latency.

Nothing here imports requests, rich or typer.
"""
