"""chorebench: grade local models' answers to small coding chores, in a Docker sandbox."""

__version__ = "0.1.0"
