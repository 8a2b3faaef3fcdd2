"""Django admin of approvals: policies, requests, grants, jobs, audit trail, drift.

Nothing here changes a state directly: actions call the workflow functions, exactly as
the web pages and the API do.
"""

from approvals.admin import audit, drift, provisioning, requests  # noqa: F401  (registers)
from approvals.admin import operations  # noqa: F401, E402  (issue 9: operations, birthright)
