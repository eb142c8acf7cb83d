"""Notifications: nudges and the inbox (docs/NETWORK.md), Web Push subscriptions, the daily reminder and
the push sender (docs/API.md)."""
