"""Conversations as state machines, independent of Telegram."""
