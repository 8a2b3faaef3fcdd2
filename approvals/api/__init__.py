"""The REST API (/api/v1/) and the connector resource API for external IGA systems."""
