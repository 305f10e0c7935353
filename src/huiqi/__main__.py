"""``python -m huiqi`` runs the command line."""

from huiqi.cli import app

app()
