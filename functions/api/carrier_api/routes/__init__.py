"""The API's routes, one Powertools `Router` per resource; `app.py` includes each in the resolver.

A route parses (its signature: path, query and body models, validated by the resolver), calls one
`carrier` service with the tenant from `tenancy`, and answers. Errors are raised, never answered here:
`http_errors` maps them. `answers()` documents each route's statuses in the OpenAPI document.
"""
