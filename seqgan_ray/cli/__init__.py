"""`seqgan-ray`, the typer command line: `app` mounts one module per command group; each command
builds a config and calls one library function. Only the entry point imports this package."""
