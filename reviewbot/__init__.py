"""reviewbot: AI code review for pull requests and local changes."""

__version__ = "1.0.0"
