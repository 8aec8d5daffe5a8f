"""msgsvc: administer Twilio Messaging Services from the terminal and from scripts.

The folders are the layers; each may import the shared top level and the layers named after
it, nothing else (tests/test_layers.py reads the imports from the source and checks this):

    api/        Twilio's resources and how to talk to them: declarations, sender kinds, text
                checks, A2P rules, client settings, retry, the HTTP client (imports only itself)
    jobs/       changes as data, planning sender changes, the executor and its pool, finding a
                service by SID or name (+ api)
    setup/      the setup file, reading the account, the pure diff, plan and apply (+ jobs, api)
    local/      what msgsvc keeps on this machine: config and profiles, the keyring, credential
                checks, the completion cache, the journal of moves, apply's lock (+ api)
    emulator/   a local stand-in for the part of Twilio's API msgsvc uses (+ the API declarations)
    cli/        the only code that imports typer, click or rich, prints or touches the streams:
                the root app, the error boundary (boundary), signal handling, state, options
                (each global option declared once), terminal, output (every view, escaped),
                layout (how text fits a width), completion, jobs (the end of a job, confirm-or-refuse),
                sender_commands (the commands every kind of sender has, for the sender
                nouns), fast and direct (a Tab, --help and a list answered without typer,
                from the generated tree*.py), listing (the list bodies direct runs), and
                commands/, one module per noun, importing neither each other nor the root
                (may import every layer)

The shared top level, which imports no layer:
    errors      the exception hierarchy and exit codes (the exit-code help is built from them)
    suggest     what a mistyped command or profile name probably meant
    atomic      reading the user's files; private, atomic file writes
    words       counting in what msgsvc says: '1 request', '3 requests'
    jsontext    JSON text safe to show: what json leaves raw (C1, bidi...) as \\uXXXX escapes
    interrupts  a Ctrl-C held back while the job pool hands out its items (cli/signals raises
                it through here; jobs/pool holds it)
"""

__version__ = "0.1.0"

LAYERS = ("api", "jobs", "setup", "local", "emulator", "cli")
SHARED = ("errors", "suggest", "atomic", "words", "jsontext", "interrupts")
