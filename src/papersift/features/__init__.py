"""What readers use: accounts, the daily feed, trending, collections, submissions, syndication.

Features sit above the store, indexes and retrievers and below the fronts (CLI, web).
"""
