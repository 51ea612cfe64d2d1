"""Text for spreadsheet exports that a spreadsheet will not run as a formula."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """A leading =, +, -, @, tab or carriage return could make a cell a formula: quote it."""
    return f"'{value}" if value[:1] in FORMULA_STARTS else value
