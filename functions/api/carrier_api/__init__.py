"""The management API's parts, beside `app.py` (which only wires them into one resolver).

`tenancy` (who is asking), `http_errors` (every answer that is not a success, and the documented answers),
`middleware` (checks before a route runs), `dashboard` (the static dashboard and `/`), and `routes/`, one
Powertools `Router` per resource. The package name is distinctive on purpose: Lambda puts each function's
directory first on `sys.path`, and the local stack loads every function into one process.
"""
