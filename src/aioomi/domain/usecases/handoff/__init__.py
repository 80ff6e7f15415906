"""Live handoff to a person: one use case per module (the visitor's side, the owner's side,
the settings and the owner's e-mail); the shared steps are in :mod:`.support`."""
