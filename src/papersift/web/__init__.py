"""The website and JSON API: a thin front over ``papersift.engine.Engine``."""
