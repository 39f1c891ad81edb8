"""Review: the human review queue and its decisions (area `queue/`), classification fees with their
deadlines, payments and exams (`fees/`), and the reviewer console (`console/`)."""

SERVICE = "review"
