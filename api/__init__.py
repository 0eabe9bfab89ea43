"""JSON API v1: api.views gathers the route modules on one blueprint (docs/api.md)."""
