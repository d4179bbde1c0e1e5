"""One repository per module; each maps rows to `cases.model` objects and never commits."""
