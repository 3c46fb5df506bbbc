"""Message templates: finding them, rendering them sandboxed, and the variables they see.

Config checks and the actions both use this package; it imports neither of them, nor mail.
"""
