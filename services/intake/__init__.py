"""Intake: the practitioner's edge (portal API, accounts, certificates, classification requests) and
the inbound certificate feeds, one folder per capability: submissions/, accounts/, classification/, feed/."""

SERVICE = "intake"
