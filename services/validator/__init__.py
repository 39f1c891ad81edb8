"""Validator: automated document checks before a human sees a submission (area `inspection/`)."""

SERVICE = "validator"
