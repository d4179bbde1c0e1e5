"""Telegram's Bot API behind one port (port.py), and the adapters that speak it."""
