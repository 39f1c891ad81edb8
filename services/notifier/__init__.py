"""Notifier: the practitioner's in-platform inbox, e-mail and SMS (areas `messages/`, `delivery/`, `inbox/`)."""

SERVICE = "notifier"
