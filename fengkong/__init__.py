"""fengkong: risk control for lenders that finance cars and consumer loans."""

__version__ = "0.1.0"
