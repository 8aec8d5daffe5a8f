"""One module per noun; each command parses, calls the client and renders."""
