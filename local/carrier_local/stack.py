"""The Carrier stack on an embedded moto server, created from `template.yaml`: `LocalStack`.

`LocalStack.start()`:
1. starts moto's `ThreadedMotoServer` on 127.0.0.1 (a free port) and points every boto3 client of the
   process at it through `AWS_ENDPOINT_URL` and dummy credentials (`carrier_local.motoserver`);
2. translates the SAM template to CloudFormation with `aws_sam_translator`, offline (local `CodeUri` and
   `ContentUri` become a placeholder zip in a moto S3 bucket; local definition files are inlined:
   `carrier_local.cfn`);
3. creates the stack in moto's CloudFormation and waits for it (`carrier_local.provision`);
4. creates, from the same template data, what moto's CloudFormation skips and Carrier needs
   (queue policies, secrets; the HTTP API is served by `carrier_local.gateway`), checks the rest exists,
   and disables moto's own SQS event source mappings (moto would try to invoke through Docker; the
   local poller plays that part) (`carrier_local.provision`);
5. reads every function's resolved configuration and merges the environment into `os.environ`
   (`carrier_local.lambdas`).

Every environment variable it changes is restored by `stop()`, which also resets moto (its state is per process).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3

from carrier_local.apievents import ApiContext
from carrier_local.cfn import (
    StackError,
    effective_parameters,
    fold_definition_substitutions,
    placeholder_zip,
    prepare_for_translation,
    translate,
)
from carrier_local.handlers import LocalFunction
from carrier_local.intrinsics import IntrinsicError, Resolver
from carrier_local.lambdas import EventSource, add_layer_paths, event_sources, load_functions
from carrier_local.motoserver import aws_environment, quiet_tools, reset_moto, serialize_dynamodb
from carrier_local.provision import StackResource, complete_stack, create_stack
from carrier_local.routes import Route, routes_from_template
from carrier_local.template import TEMPLATE_PATH, Template, load_template, resources

log = logging.getLogger("carrier_local.stack")

REGION = "us-east-1"
# A developer's stack: local targets allowed, and a webhook created or changed is seen by the very next event
# (WebhookCacheSeconds=0: on AWS a dispatcher container keeps a tenant's webhook list 5 s by default).
DEFAULT_PARAMETERS: dict[str, str] = {"Stage": "local", "AllowPrivateTargets": "true", "WebhookCacheSeconds": "0"}
ARTIFACT_BUCKET = "carrier-local-artifacts"
ARTIFACT_KEY = "placeholder.zip"


class LocalStack:
    """The whole Carrier stack in this process, on an embedded moto server."""

    def __init__(
        self,
        parameters: Mapping[str, str] | None = None,
        *,
        template_path: Path = TEMPLATE_PATH,
        stack_name: str = "carrier-local",
        host: str = "127.0.0.1",
        port: int = 0,
        apply_environment: bool = True,
    ) -> None:
        self.template_path = template_path
        self.root = template_path.resolve().parent
        self.stack_name = stack_name
        self.region = REGION
        self.parameter_overrides = {**DEFAULT_PARAMETERS, **(parameters or {})}
        self.apply_environment = apply_environment
        self._host, self._port = host, port
        self._server: Any = None
        self._saved_environment: dict[str, str | None] = {}
        self.endpoint_url = ""
        self.account_id = ""
        self.template: Template = {}
        self.cfn_template: Template = {}
        self.parameters: dict[str, str] = {}
        self.outputs: dict[str, str] = {}
        self.resources: dict[str, StackResource] = {}
        self.skipped: dict[str, str] = {}
        self.functions: dict[str, LocalFunction] = {}
        self.environment: dict[str, str] = {}
        self.event_sources: list[EventSource] = []
        self.timings: dict[str, float] = {}
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> LocalStack:
        """Start moto and create the stack; returns self. Raises StackError if already running."""
        if self._server is not None:
            raise StackError("the local stack is already running")
        steps: list[tuple[str, Callable[[], None]]] = [
            ("moto", self._start_moto),
            ("translate", self._translate),
            ("create_stack", self._create_stack),
            ("complete", self._complete_stack),
            ("functions", self._load_functions),
        ]
        try:
            for name, step in steps:
                started = time.perf_counter()
                step()
                self.timings[name] = time.perf_counter() - started
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Reset and stop moto, and restore the environment variables this stack changed."""
        if self._server is not None:
            try:
                reset_moto(self.endpoint_url)
            except OSError as error:
                log.warning("could not reset moto before stopping it: %s", error)
            finally:
                self._server.stop()
                self._server = None
                self._clients = {}
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environment = {}

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what the rest of carrier_local needs ------------------------------------------------------

    def client(self, service: str) -> Any:
        """A boto3 client on the moto endpoint (one per service, shared: boto3 clients are thread-safe)."""
        with self._clients_lock:
            client = self._clients.get(service)
            if client is None:
                client = boto3.client(service, region_name=self.region, endpoint_url=self.endpoint_url)  # type: ignore[call-overload]
                self._clients[service] = client
            return client

    def routes(self) -> list[Route]:
        """The HTTP API's routes, from the template."""
        return routes_from_template(self.template)

    def api_context(self) -> ApiContext:
        """The local API's identity: a stable 10-character id, like API Gateway's, and this stack's account."""
        api = next((r.api for r in self.routes()), "ServerlessHttpApi")
        api_id = hashlib.sha256(f"{self.stack_name}/{api}".encode()).hexdigest()[:10]
        return ApiContext(api_id=api_id, region=self.region, account_id=self.account_id)

    def invokers(self) -> dict[str, Callable[[Any], Any]]:
        """logical id -> `invoke(event)` for every function with local code."""
        return {logical_id: function.invoke for logical_id, function in self.functions.items()}

    @property
    def events_queue_url(self) -> str:
        """The queue between the bus and the dispatcher (output `EventsQueueUrl`, as a moto URL)."""
        return self.queue_url(self.outputs["EventsQueueUrl"])

    @property
    def dead_letter_queue_url(self) -> str:
        """The events queue's dead-letter queue, from its redrive policy."""
        sqs = self.client("sqs")
        attributes = sqs.get_queue_attributes(QueueUrl=self.events_queue_url, AttributeNames=["RedrivePolicy"])
        policy = json.loads(attributes["Attributes"]["RedrivePolicy"])
        return self.queue_url(policy["deadLetterTargetArn"].rsplit(":", 1)[1])

    @property
    def event_bus_name(self) -> str:
        if "EventBusName" in self.outputs:
            return self.outputs["EventBusName"]
        bus = next(lid for lid, _ in resources(self.cfn_template, "AWS::Events::EventBus"))
        return str(self.ref(bus))

    @property
    def table_name(self) -> str:
        return self.outputs.get("TableName") or self.environment["TABLE_NAME"]

    def queue_url(self, url_or_name: str) -> str:
        """A queue's URL on the moto endpoint, from its name or any URL form of it."""
        name = url_or_name.rstrip("/").rsplit("/", 1)[-1]
        return str(self.client("sqs").get_queue_url(QueueName=name)["QueueUrl"])

    # -- Ref and Fn::GetAtt over the created stack -----------------------------------------------

    def resolver(self) -> Resolver:
        """Resolves intrinsics of the CloudFormation template against this stack as moto created it."""
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}",
            "AWS::NotificationARNs": [],
        }
        return Resolver({**self.parameters, **pseudo}, self.ref, self.get_att)

    def properties(self, logical_id: str) -> dict[str, Any]:
        """A copy of the resource's `Properties` in the CloudFormation template (unresolved)."""
        return dict((self.cfn_template["Resources"][logical_id].get("Properties")) or {})

    def ref(self, logical_id: str) -> Any:
        """`Ref` of a resource of the stack (its physical id)."""
        resource = self.resources.get(logical_id)
        if resource is not None and resource.physical_id:
            return resource.physical_id
        kind = self.cfn_template["Resources"].get(logical_id, {}).get("Type")
        if kind == "AWS::Events::EventBus":
            return self.resolver().resolve(self.properties(logical_id)["Name"])
        raise IntrinsicError(f"Ref {logical_id} ({kind}): no physical id in the local stack")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        """`Fn::GetAtt` of a resource of the stack, for the types and attributes Carrier uses."""
        kind = self.cfn_template["Resources"].get(logical_id, {}).get("Type")
        physical = self.ref(logical_id)
        if kind == "AWS::SQS::Queue":
            if attribute == "QueueUrl":
                return self.queue_url(physical)
            if attribute == "QueueName":
                return physical.rsplit("/", 1)[-1]
            if attribute == "Arn":
                attributes = self.client("sqs").get_queue_attributes(
                    QueueUrl=self.queue_url(physical), AttributeNames=["QueueArn"]
                )
                return attributes["Attributes"]["QueueArn"]
        elif kind == "AWS::Events::Rule" and attribute == "Arn":
            bus = self.resolver().resolve(self.properties(logical_id).get("EventBusName", "default"))
            return self.client("events").describe_rule(Name=physical, EventBusName=bus)["Arn"]
        elif kind == "AWS::Events::EventBus" and attribute in ("Arn", "Name"):
            return self.client("events").describe_event_bus(Name=physical)[attribute]
        elif kind == "AWS::Lambda::Function" and attribute == "Arn":
            return self.client("lambda").get_function_configuration(FunctionName=physical)["FunctionArn"]
        elif kind == "AWS::DynamoDB::Table" and attribute in ("Arn", "StreamArn"):
            table = self.client("dynamodb").describe_table(TableName=physical)["Table"]
            return table["TableArn" if attribute == "Arn" else "LatestStreamArn"]
        elif kind == "AWS::IAM::Role" and attribute in ("Arn", "RoleId"):
            return self.client("iam").get_role(RoleName=physical)["Role"][attribute]
        elif kind == "AWS::Logs::LogGroup" and attribute == "Arn":
            return f"arn:aws:logs:{self.region}:{self.account_id}:log-group:{physical}:*"
        elif kind == "AWS::StepFunctions::StateMachine" and attribute in ("Arn", "Name"):
            return physical if attribute == "Arn" else physical.rsplit(":", 1)[-1]
        raise IntrinsicError(f"Fn::GetAtt {logical_id}.{attribute} ({kind}) is not supported locally")

    # -- 1. moto -----------------------------------------------------------------------------------

    def _set_environment(self, name: str, value: str | None) -> None:
        if name not in self._saved_environment:
            self._saved_environment[name] = os.environ.get(name)
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value

    def _start_moto(self) -> None:
        from moto.server import ThreadedMotoServer

        quiet_tools()
        self._server = ThreadedMotoServer(ip_address=self._host, port=self._port, verbose=False)
        self._server.start()
        serialize_dynamodb(self._server)
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        for name, value in aws_environment(self.endpoint_url, self.region).items():
            self._set_environment(name, value)
        self.account_id = str(self.client("sts").get_caller_identity()["Account"])

    # -- 2. translate ------------------------------------------------------------------------------

    def _translate(self) -> None:
        self.template = load_template(self.template_path)
        self.parameters = effective_parameters(self.template, self.parameter_overrides)
        s3 = self.client("s3")
        s3.create_bucket(Bucket=ARTIFACT_BUCKET)
        s3.put_object(Bucket=ARTIFACT_BUCKET, Key=ARTIFACT_KEY, Body=placeholder_zip())
        prepared = prepare_for_translation(self.template, f"s3://{ARTIFACT_BUCKET}/{ARTIFACT_KEY}", self.root)
        self.cfn_template = translate(prepared, self.parameter_overrides, self.client("iam"))
        fold_definition_substitutions(self.cfn_template)

    # -- 3. create_stack ---------------------------------------------------------------------------

    def _create_stack(self) -> None:
        create_stack(self)

    # -- 4. what moto's CloudFormation skipped, checks ---------------------------------------------

    def _complete_stack(self) -> None:
        complete_stack(self)

    # -- 5. functions ------------------------------------------------------------------------------

    def _load_functions(self) -> None:
        self.environment = load_functions(self)
        if self.apply_environment:
            for name, value in self.environment.items():
                self._set_environment(name, value)
        add_layer_paths(self.template, self.root)
        self.event_sources = event_sources(self)
