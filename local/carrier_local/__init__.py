"""Carrier local stack: the whole stack in one process against an embedded moto server (no Docker).

- `stack.LocalStack`: moto server + the template translated and created in moto's CloudFormation
  (`motoserver`: the server's quirks; `cfn`: template.yaml -> CloudFormation; `provision`: the stack created
  and completed in moto; `lambdas`: the functions and SQS event sources as moto holds them)
- the HTTP API, served as API Gateway HTTP APIs serve it: `routes` (read from the template, and matching),
  `apievents` (requests, responses, v2 events), `gateway.ApiGateway` (request -> response),
  `httpserver.GatewayServer` (over HTTP)
- `poller.SqsPoller`: the SQS event source mapping (events queue -> dispatcher)
- `handlers`: handlers loaded from `functions/<dir>/app.py`, and a fake Lambda context
- `runtime.LocalCarrier`: all of the above together; `python -m carrier_local` runs it
"""
