"""Django admin of approvals: policies, requests, grants, jobs, audit trail, drift,
and the administrative operations with birthright rules (issue 9).

Nothing here changes a state directly: actions call the workflow functions, exactly as
the web pages and the API do.
"""

from approvals.admin import (  # noqa: F401  (each module registers its admins)
    applications,
    audit,
    birthright,
    drift,
    identities,
    operations,
    provisioning,
    requests,
)
