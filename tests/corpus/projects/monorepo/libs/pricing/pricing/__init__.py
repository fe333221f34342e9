from decimal import Decimal

from babel.numbers import format_currency


def with_tax(amount: Decimal, rate: Decimal = Decimal("0.2")) -> Decimal:
    return (amount * (1 + rate)).quantize(Decimal("0.01"))


def display(amount: Decimal, currency: str = "EUR", locale: str = "en_GB") -> str:
    return format_currency(amount, currency, locale=locale)
