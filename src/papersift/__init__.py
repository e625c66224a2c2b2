"""papersift: a self-hostable research-paper discovery engine."""

from papersift.model import Paper, Version

__all__ = ["Paper", "Version"]
__version__ = "0.1.0"
