"""In-memory stand-ins for the storage layer, for unit tests of cases/ and dialogs/."""
