"""``python3 -m newsarchive.datasette``: print the shipped metadata file's path (for ``datasette -m``)."""

from newsarchive.datasette import METADATA_PATH

print(METADATA_PATH)
