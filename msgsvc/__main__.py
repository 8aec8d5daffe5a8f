"""The `msgsvc` program (`python -m msgsvc`, and the console script)."""


def main() -> None:
    import gc
    import sys

    # A Tab press, --version and --help are answered from the command tree as data, without
    # importing typer (msgsvc/cli/fast.py); anything else, or a help for another terminal
    # width, runs the typer app.
    from msgsvc.cli.fast import answer

    code = answer(sys.argv[1:])
    if code is not None:
        sys.exit(code)

    # Start-up is a Tab press: importing typer and building the command tree allocate many
    # objects and no garbage worth collecting, and the collector's passes over them cost about
    # 4 ms. The run turns it back on once the command starts (msgsvc.cli.boundary).
    gc.disable()
    from msgsvc.cli import signals
    from msgsvc.cli.direct import run as run_directly

    # The process ends after the run, and the interpreter's last act would be a collection
    # over every object still alive: after a 10,000-service list some 300,000 of them, a
    # tenth of the CPU of the whole command, to find no garbage. run(exiting=True) freezes
    # them, which leaves them out of it (atexit handlers still run; stdout is still flushed).
    # A list command whose line direct.py can read runs without typer; any other line, or
    # one it cannot read, runs in the typer app.
    code = run_directly(sys.argv[1:], exiting=True)
    if code is None:
        from msgsvc.cli.app import run

        code = run(exiting=True)
    gc.freeze()  # and what the end of the run allocated
    signals.exit(code)  # a run a signal stopped dies by it, so that a shell loop stops


if __name__ == "__main__":
    main()
