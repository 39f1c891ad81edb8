"""The one check digit the registry's own numbers carry (bill numbers, registration numbers): Luhn's,
so a single mistyped digit, and most swaps of neighbours, are recognised as unknown at once."""


def luhn_check_digit(digits: str) -> int:
    """The digit that makes `digits` + it pass the Luhn check (catches any single mistyped digit
    and most swaps of neighbours)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:  # doubled: these are every second digit once the check digit is appended
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return (10 - total % 10) % 10
