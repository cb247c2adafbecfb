"""Carrier local stack: the whole stack in one process against an embedded moto server (no Docker).

- `stack.LocalStack`: moto server + the template translated and created in moto's CloudFormation
- `gateway`: the HTTP API served as API Gateway HTTP APIs serve it (routes read from the template)
- `poller.SqsPoller`: the SQS event source mapping (events queue -> dispatcher)
- `handlers`: handlers loaded from `functions/<dir>/app.py`, and a fake Lambda context
- `runtime.LocalCarrier`: all of the above together; `python -m carrier_local` runs it
"""
