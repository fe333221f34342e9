"""Bookmarks, served with templates and static files shipped as package data."""
