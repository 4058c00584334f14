"""The built-in skills (each module defines a few `Vertical`s; the registry lists them explicitly)."""
