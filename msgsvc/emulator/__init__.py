"""`msgsvc emulator`: a local stand-in for the part of Twilio's API that msgsvc uses.

- `model.py`: the data model: a service's fields (from the API declarations), the kinds of
  sender, Twilio's error codes for the sender rules, SIDs; `errors.py`: Fault, the error answer.
- `store.py`: the account's state (services, senders, phone numbers) and its rules; one lock,
  no HTTP; other parts follow its changes through hooks (`on_service_deleted`).
- `state.py`: the JSON state file, written atomically behind the requests; `seed.py`: a new account.
- `routing.py`: the routing framework: the route table, auth, Request/Response, pagination.
- `routes.py`: the routes and response shapes of Messaging v1 and the 2010 API's
  IncomingPhoneNumbers and short codes; `a2p.py`: US A2P 10DLC brands and campaigns.
- `server.py`: the threaded HTTP server (standard library only), fail rate and latency; it
  installs A2P's hooks on the store it serves.

Imports only the API declarations (msgsvc.api.resources, senders, validate, a2p) and the
shared file helpers; nothing here imports requests, rich or typer.
"""
