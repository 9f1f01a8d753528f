"""The credit check, registered where sales runs its pre-confirmation checks."""

from touchpoint.core.extensions import contract_checks, quote_checks
from touchpoint.finance.services.credit import credit_check

contract_checks["credit"] = credit_check
quote_checks["credit"] = credit_check
