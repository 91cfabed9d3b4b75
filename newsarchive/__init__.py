"""newsarchive: archive Persian tech news into a searchable SQLite archive."""

__version__ = "0.1.0"
