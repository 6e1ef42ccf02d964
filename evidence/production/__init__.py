"""Court productions: Bates-stamped documents, load files and a signed BagIt package in a ZIP.

Pure functions over streams, documents and a signer; no database access, so the web build,
the command line and the verifier share the same engine. ``package.write_package`` writes a
production, ``verify.verify_package`` checks one.
"""
