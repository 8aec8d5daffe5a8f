"""msgsvc: administer Twilio Messaging Services from the terminal and from scripts."""

__version__ = "0.1.0"
