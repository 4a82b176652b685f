"""Notifications that reach a PM who is not looking: urgent e-mails, a daily digest, and messages
on the team's chat channels.

The worker alone sends (`tasks`): a scan of the inbox's urgent items opens and closes alerts
(`watch`), each open alert becomes one notice per person and per channel that wants it, and the
due notices are sent with retries (`send`). No web request ever sends.
"""
