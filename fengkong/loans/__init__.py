"""Loans: pure schedule maths (terms in, quote out); no database, no clock.

Entry points for the API and CLI:

    parse_terms(data: Mapping[str, Any]) -> LoanTerms   # raises InvalidInput(code, field)
    quote(terms: LoanTerms) -> Quote
    quote_to_dict(q: Quote) -> dict[str, Any]           # money as strings, dates ISO
"""

from fengkong.loans.parse import parse_terms
from fengkong.loans.quote import Quote, quote, quote_to_dict
from fengkong.loans.schedule import Installment
from fengkong.loans.terms import Fees, Frequency, LoanTerms, UpfrontFee

__all__ = ["Fees", "Frequency", "Installment", "LoanTerms", "Quote", "UpfrontFee",
           "parse_terms", "quote", "quote_to_dict"]
