"""msgsvc short-codes | alpha-senders | channel-senders | destination-alpha-senders: attach,
detach, list and get the senders of a Messaging Service.

Each is a kind described in `msgsvc/api/senders.py` with the commands every kind of sender
has and nothing more, built by `make_app(kind)` (msgsvc/cli/sender_commands.py); numbers,
which have commands of their own too, are msgsvc/cli/commands/numbers.py.
"""

from msgsvc.cli.sender_commands import make_app
from msgsvc.api.senders import ALPHA_SENDERS, CHANNEL_SENDERS, DESTINATION_ALPHA_SENDERS, SHORT_CODES

short_codes = make_app(SHORT_CODES)
alpha_senders = make_app(ALPHA_SENDERS)
channel_senders = make_app(CHANNEL_SENDERS)
destination_alpha_senders = make_app(DESTINATION_ALPHA_SENDERS)
