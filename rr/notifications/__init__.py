"""Notifications: Web Push subscriptions, the daily reminder and the push sender (docs/API.md)."""
