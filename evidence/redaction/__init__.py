"""Redaction of survivor identifiers from documents: detection, true removal, verification.

Pure functions over bytes and paths plus a list of terms; no database access, so the command
line and background jobs share the same engine.
"""
