"""What Twilio's resources are and how to talk to them: declarations, checks, the HTTP client.

Imports only itself and the shared top level (errors, suggest, atomic).
"""
