"""msgsvc: administer Twilio Messaging Services from the terminal and from scripts.

The package has two layers; the library never imports the CLI layer, typer or rich, and
never prints (tests/test_imports.py checks both).

The library, usable from Python on its own:
    resources   the one description of each resource: path, SID prefix, fields, columns
    senders     the kinds of sender of a service, as resources, and what a user may type
    validate    checks on user input, made before anything is sent
    client      HTTP: auth, hosts, pagination, Twilio's errors
    retry       what is retried (429, 5xx, lost connections) and the shared throttle
    plan        changes as data (create, update, attach, detach, delete) and the planners
    executor    sends any list of changes: one result each, a lost POST checked, never resent
    pool        the bounded thread pool they run on, and what Ctrl-C leaves
    a2p         US A2P 10DLC campaigns: the definition's rules, waiting for a review
    resolve     a service named by SID or by friendly name
    setup_file  the setup file (TOML/JSON): its complete validation with lines, the export document
    setup_read  reading an account's services and senders concurrently; plan and `numbers find` on it
    setup_diff  desired vs current as data: creates, updates, moves, conflicts (pure)
    setup_apply a setup diff run as phases of changes on the executor
    suggest     what a mistyped command or profile name probably meant
    config      profiles, where each setting comes from, the client's settings
    keystore    secrets in the system keyring (keyring, imported only when a secret is needed)
    verify      checking that a profile's credentials work, with one request
    atomic      reading the user's files; private, atomic file writes
    errors      the exception hierarchy and exit codes
    emulator/   a local stand-in for the part of Twilio's API msgsvc uses

The command line:
    cli         the root command, global options, the one error boundary
    commands/   one module per noun: parse, call the library, render
    options     options and arguments shared by commands, and those made from fields
    terminal    the run's streams, whether each is a terminal, width, colour, redaction, escaping
    output      tables, TSV and JSON; notes, prompts and progress on stderr
    state       the options of one invocation and its client
    shell       completion scripts and the answer to one Tab press
    complete    the candidates a Tab press offers (services, profiles, brands, use cases)
    cache       the completion caches: service names, brands, use cases the commands saw
"""

__version__ = "0.1.0"

LIBRARY = (
    "resources", "senders", "validate", "client", "retry", "plan", "executor", "pool", "a2p", "resolve", "suggest", "setup_file",
    "setup_read", "setup_diff", "setup_apply", "config", "keystore", "verify", "atomic", "errors", "emulator",
)
CLI = ("cli", "commands", "options", "terminal", "output", "state", "shell", "complete", "cache")
