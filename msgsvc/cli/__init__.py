"""The command line: the only layer that imports typer, click or rich, prints, or touches the streams."""
