"""The privacy policy's published texts, one Markdown file per version (``<effective date>.md``).

A file is the text of its version as published: never edited afterwards. A change is a new file
published with ``aioomi policy publish --effective YYYY-MM-DD`` (at least 30 days ahead).
"""
