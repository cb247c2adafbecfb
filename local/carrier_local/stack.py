"""The Carrier stack on an embedded moto server, created from `template.yaml`.

`LocalStack.start()`:
1. starts moto's `ThreadedMotoServer` on 127.0.0.1 (a free port) and points every boto3 client of the
   process at it through `AWS_ENDPOINT_URL` and dummy credentials;
2. translates the SAM template to CloudFormation with `aws_sam_translator`, offline (local `CodeUri` and
   `ContentUri` become a placeholder zip in a moto S3 bucket; local definition files are inlined);
3. creates the stack in moto's CloudFormation and waits for it;
4. creates, from the same template data, what moto's CloudFormation skips and Carrier needs
   (queue policies, secrets; the HTTP API is served by `carrier_local.gateway`), checks the rest exists,
   and disables moto's own SQS event source mappings (moto would try to invoke through Docker; the
   local poller plays that part);
5. reads every function's resolved configuration and merges the environment into `os.environ`.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import logging
import os
import sys
import threading
import time
import warnings
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import yaml

from carrier_local.gateway import ApiContext, Route, routes_from_template
from carrier_local.handlers import LocalFunction
from carrier_local.intrinsics import IntrinsicError, Resolver
from carrier_local.template import (
    REPO_ROOT,
    SERVERLESS_FUNCTION,
    SERVERLESS_LAYER,
    SERVERLESS_STATE_MACHINE,
    TEMPLATE_PATH,
    CfnLoader,
    Template,
    function_sources,
    layer_dirs,
    load_template,
    resources,
    sqs_event_sources,
)

log = logging.getLogger("carrier_local.stack")

REGION = "us-east-1"
DEFAULT_PARAMETERS: dict[str, str] = {"Stage": "local", "AllowPrivateTargets": "true"}
ARTIFACT_BUCKET = "carrier-local-artifacts"
ARTIFACT_KEY = "placeholder.zip"
STACK_TIMEOUT_SECONDS = 60.0

_AWS_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}
# Anything that could send a boto3 client elsewhere, or fail for want of a profile, is removed.
_AWS_ENVIRONMENT_REMOVED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


class StackError(RuntimeError):
    """The local stack could not be created as the template describes it."""


@dataclass(frozen=True)
class StackResource:
    logical_id: str
    resource_type: str
    physical_id: str


@dataclass(frozen=True)
class EventSource:
    """An SQS event source mapping, read from a function's `Type: SQS` event."""

    function: str
    queue: str
    queue_url: str
    queue_arn: str
    batch_size: int = 10
    batching_window_seconds: int = 0
    report_batch_item_failures: bool = False
    maximum_concurrency: int | None = None


# --------------------------------------------------------------------------------------------------
# Template preparation (pure functions on template dicts)


def placeholder_zip() -> bytes:
    """The code package every function and layer points at: the real code runs in-process."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "carrier_local runs the handlers in-process; this package is a placeholder.\n")
    return buffer.getvalue()


def _is_local_path(value: Any) -> bool:
    return isinstance(value, str) and not value.startswith("s3://")


def _read_definition(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=CfnLoader)  # noqa: S506 - a SafeLoader


def prepare_for_translation(template: Template, code_uri: str, root: Path = REPO_ROOT) -> Template:
    """A copy of the SAM template the translator accepts offline.

    Local `CodeUri`/`ContentUri` become `code_uri` (an `s3://` location holding a placeholder zip);
    local `DefinitionUri` files are inlined (`Definition` for state machines, `DefinitionBody` for APIs),
    so moto gets the real definitions.
    """
    prepared = copy.deepcopy(template)
    function_globals = (prepared.get("Globals") or {}).get("Function") or {}
    if _is_local_path(function_globals.get("CodeUri")):
        function_globals["CodeUri"] = code_uri
    for _, resource in resources(prepared):
        props = resource.get("Properties")
        if not isinstance(props, dict):
            continue
        kind = resource.get("Type")
        if kind == SERVERLESS_FUNCTION and _is_local_path(props.get("CodeUri")):
            props["CodeUri"] = code_uri
        elif kind == SERVERLESS_LAYER and _is_local_path(props.get("ContentUri")):
            props["ContentUri"] = code_uri
        elif _is_local_path(props.get("DefinitionUri")):
            definition = _read_definition(root / props.pop("DefinitionUri"))
            props["Definition" if kind == SERVERLESS_STATE_MACHINE else "DefinitionBody"] = definition
    return prepared


def _literal_join(value: Any) -> str | None:
    """The string a `Fn::Join` of literal strings builds (the translator's DefinitionString), else None."""
    if isinstance(value, str):
        return value
    join = value.get("Fn::Join") if isinstance(value, dict) else None
    if isinstance(join, list) and len(join) == 2 and all(isinstance(p, str) for p in join[1]):
        return str(join[0]).join(join[1])
    return None


def fold_definition_substitutions(cfn: Template) -> None:
    """moto ignores a state machine's `DefinitionSubstitutions`: turn them into an `Fn::Sub` moto resolves."""
    for logical_id, resource in resources(cfn, "AWS::StepFunctions::StateMachine"):
        props = resource.get("Properties") or {}
        substitutions = props.pop("DefinitionSubstitutions", None)
        if not substitutions:
            continue
        definition = _literal_join(props.get("DefinitionString"))
        if definition is None:
            raise StackError(f"{logical_id}: cannot apply DefinitionSubstitutions to its DefinitionString")
        props["DefinitionString"] = {"Fn::Sub": [definition, substitutions]}


def translate(template: Template, parameters: Mapping[str, str], iam_client: Any) -> Template:
    """SAM -> CloudFormation with aws_sam_translator, offline (the managed-policy map comes from `iam_client`,
    asked only if the template names a managed policy)."""
    from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
    from samtranslator.translator.transform import transform

    translated: Template = transform(copy.deepcopy(template), dict(parameters), ManagedPolicyLoader(iam_client))
    return translated


def effective_parameters(template: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, str]:
    """Template parameter defaults with `overrides` applied; unknown names are an error."""
    declared = template.get("Parameters") or {}
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise StackError(f"unknown parameters {', '.join(unknown)}; the template declares {', '.join(declared)}")
    values = {name: str(spec["Default"]) for name, spec in declared.items() if "Default" in spec}
    values.update({name: str(value) for name, value in overrides.items()})
    missing = sorted(set(declared) - set(values))
    if missing:
        raise StackError(f"parameters without a default need a value: {', '.join(missing)}")
    return values


class _DropSkippedTypeWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("No Moto CloudFormation support")


def _quiet_tools() -> None:
    """moto reports skipped resource types through warnings and logs; `LocalStack.skipped` says what
    became of each. The request log of moto's server and the translator's metrics notice go too."""
    warnings.filterwarnings("ignore", message="Tried to parse .* not supported", category=UserWarning)
    moto_log = logging.getLogger("moto")
    if not any(isinstance(f, _DropSkippedTypeWarnings) for f in moto_log.filters):
        moto_log.addFilter(_DropSkippedTypeWarnings())
    for name in ("werkzeug", "samtranslator.metrics.metrics"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _wait_until(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise StackError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# --------------------------------------------------------------------------------------------------
# The stack


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
                self._reset_moto()
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

        _quiet_tools()
        self._server = ThreadedMotoServer(ip_address=self._host, port=self._port, verbose=False)
        self._server.start()
        _serialize_dynamodb(self._server)
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        for name in list(os.environ):
            if name.startswith("AWS_ENDPOINT_URL_"):
                self._set_environment(name, None)
        for name in _AWS_ENVIRONMENT_REMOVED:
            self._set_environment(name, None)
        for name, value in {**_AWS_ENVIRONMENT, "AWS_ENDPOINT_URL": self.endpoint_url}.items():
            self._set_environment(name, value)
        self.account_id = str(self.client("sts").get_caller_identity()["Account"])

    def _reset_moto(self) -> None:
        """Forget every moto resource (moto's state is per process), so a later stack starts clean."""
        import urllib.request

        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own moto server
            response.read()

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
        cfn = self.client("cloudformation")
        cfn.create_stack(
            StackName=self.stack_name,
            TemplateBody=json.dumps(self.cfn_template),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in self.parameter_overrides.items()],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
        status: dict[str, Any] = {}

        def settled() -> bool:
            status.update(cfn.describe_stacks(StackName=self.stack_name)["Stacks"][0])
            return not str(status["StackStatus"]).endswith("_IN_PROGRESS")

        _wait_until(settled, STACK_TIMEOUT_SECONDS, f"stack {self.stack_name}")
        if status["StackStatus"] != "CREATE_COMPLETE":
            events = cfn.describe_stack_events(StackName=self.stack_name)["StackEvents"]
            reasons = [
                f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}"
                for e in events
                if "FAILED" in e["ResourceStatus"]
            ]
            raise StackError(f"stack {status['StackStatus']}: {status.get('StackStatusReason')}; {reasons}")
        self.outputs = {o["OutputKey"]: o["OutputValue"] for o in status.get("Outputs", [])}
        summaries = cfn.get_paginator("list_stack_resources").paginate(StackName=self.stack_name)
        for page in summaries:
            for summary in page["StackResourceSummaries"]:
                if summary["LogicalResourceId"]:
                    self.resources[summary["LogicalResourceId"]] = StackResource(
                        summary["LogicalResourceId"],
                        summary["ResourceType"],
                        summary.get("PhysicalResourceId", ""),
                    )

    # -- 4. what moto's CloudFormation skipped, checks ---------------------------------------------

    def resolver(self) -> Resolver:
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

    def _properties(self, logical_id: str) -> dict[str, Any]:
        return dict((self.cfn_template["Resources"][logical_id].get("Properties")) or {})

    def ref(self, logical_id: str) -> Any:
        """`Ref` of a resource of the stack (its physical id)."""
        resource = self.resources.get(logical_id)
        if resource is not None and resource.physical_id:
            return resource.physical_id
        kind = self.cfn_template["Resources"].get(logical_id, {}).get("Type")
        if kind == "AWS::Events::EventBus":
            return self.resolver().resolve(self._properties(logical_id)["Name"])
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
            bus = self.resolver().resolve(self._properties(logical_id).get("EventBusName", "default"))
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

    def _complete_stack(self) -> None:
        created = set(self.resources)
        for logical_id, resource in resources(self.cfn_template):
            if logical_id not in created:
                self._create_skipped(logical_id, str(resource.get("Type")))
        self._check_rules()
        self._check_exists()
        self._disable_event_source_mappings()

    def _create_skipped(self, logical_id: str, kind: str) -> None:
        if kind.startswith("AWS::ApiGatewayV2::"):
            self.skipped[logical_id] = "served by carrier_local.gateway"
            return
        if kind in _OPERATIONS_ONLY:
            self.skipped[logical_id] = "operations only (CloudWatch): nothing to run locally"
            return
        if kind not in ("AWS::SQS::QueuePolicy", "AWS::SecretsManager::Secret"):
            self.skipped[logical_id] = "not created locally"
            log.warning("%s (%s) is not created by moto nor by carrier_local", logical_id, kind)
            return
        props = self.resolver().resolve(self._properties(logical_id))
        if kind == "AWS::SQS::QueuePolicy":
            sqs = self.client("sqs")
            for queue in props["Queues"]:
                sqs.set_queue_attributes(
                    QueueUrl=self.queue_url(queue), Attributes={"Policy": json.dumps(props["PolicyDocument"])}
                )
            self.skipped[logical_id] = "created by carrier_local"
        else:
            self._create_secret(logical_id, props)
            self.skipped[logical_id] = "created by carrier_local"

    def _create_secret(self, logical_id: str, props: Mapping[str, Any]) -> None:
        secrets = self.client("secretsmanager")
        value = props.get("SecretString")
        generate = props.get("GenerateSecretString")
        if value is None and generate is not None:
            options = {k: v for k, v in generate.items() if k not in ("SecretStringTemplate", "GenerateStringKey")}
            password = secrets.get_random_password(**options)["RandomPassword"]
            if "GenerateStringKey" in generate:
                document = json.loads(generate.get("SecretStringTemplate", "{}"))
                document[generate["GenerateStringKey"]] = password
                value = json.dumps(document)
            else:
                value = password
        name = props.get("Name", f"{self.stack_name}-{logical_id}")
        arguments: dict[str, Any] = {"Name": name, "SecretString": value or ""}
        if "Description" in props:
            arguments["Description"] = props["Description"]
        arn = secrets.create_secret(**arguments)["ARN"]
        self.resources[logical_id] = StackResource(logical_id, "AWS::SecretsManager::Secret", arn)

    def _check_rules(self) -> None:
        """Every rule exists with the template's targets (the targets are put again if moto lost them)."""
        events = self.client("events")
        for logical_id, _ in resources(self.cfn_template, "AWS::Events::Rule"):
            props = self.resolver().resolve(self._properties(logical_id))
            bus = props.get("EventBusName", "default")
            name = self.ref(logical_id)
            current = {t["Id"] for t in events.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]}
            missing = [t for t in props.get("Targets", []) if t["Id"] not in current]
            if missing:
                log.warning("rule %s lacks targets %s; putting them", name, [t["Id"] for t in missing])
                events.put_targets(Rule=name, EventBusName=bus, Targets=missing)

    def _check_exists(self) -> None:
        """The resources Carrier needs at runtime answer their describe calls."""
        checks: dict[str, Callable[[str], Any]] = {
            "AWS::DynamoDB::Table": lambda p: self.client("dynamodb").describe_table(TableName=p),
            "AWS::Events::EventBus": lambda p: self.client("events").describe_event_bus(Name=p),
            "AWS::SQS::Queue": self.queue_url,
            "AWS::Lambda::Function": lambda p: self.client("lambda").get_function(FunctionName=p),
            "AWS::StepFunctions::StateMachine": lambda p: self.client("stepfunctions").describe_state_machine(
                stateMachineArn=p
            ),
        }
        for logical_id, resource in resources(self.cfn_template):
            check = checks.get(str(resource.get("Type")))
            if check is None:
                continue
            try:
                check(str(self.ref(logical_id)))
            except Exception as error:
                raise StackError(f"{logical_id} ({resource['Type']}) was not created: {error}") from error

    def _disable_event_source_mappings(self) -> None:
        lambda_client = self.client("lambda")
        for logical_id, _ in resources(self.cfn_template, "AWS::Lambda::EventSourceMapping"):
            lambda_client.update_event_source_mapping(UUID=self.ref(logical_id), Enabled=False)
            self.skipped[logical_id] = "disabled in moto; polled by carrier_local.poller"

    # -- 5. functions ------------------------------------------------------------------------------

    def _load_functions(self) -> None:
        lambda_client = self.client("lambda")
        merged: dict[str, str] = {}
        for logical_id, source in function_sources(self.template, self.root).items():
            name = self.ref(logical_id)
            config = lambda_client.get_function_configuration(FunctionName=name)
            variables = {k: str(v) for k, v in (config.get("Environment") or {}).get("Variables", {}).items()}
            late = self._variables_moto_could_not_resolve(logical_id)
            if late:
                variables.update(late)
                lambda_client.update_function_configuration(FunctionName=name, Environment={"Variables": variables})
            conflicts = sorted(k for k, v in variables.items() if merged.get(k, v) != v)
            if conflicts:
                log.warning("%s sets %s differently from another function; it wins", logical_id, conflicts)
            merged.update(variables)
            self.functions[logical_id] = LocalFunction(
                logical_id=logical_id,
                function_name=name,
                module_file=source.module_file,
                attribute=source.attribute,
                arn=config["FunctionArn"],
                memory_size=int(config.get("MemorySize", source.memory_size)),
                timeout=int(config.get("Timeout", source.timeout)),
            )
        self.environment = merged
        if self.apply_environment:
            for name, value in merged.items():
                self._set_environment(name, value)
        for directory in layer_dirs(self.template, self.root):
            for path in (directory / "python", directory):
                if path.is_dir() and str(path) not in sys.path:
                    sys.path.append(str(path))
        self.event_sources = [self._event_source(*source) for source in sqs_event_sources(self.template)]

    def _variables_moto_could_not_resolve(self, logical_id: str) -> dict[str, str]:
        """Variables referring to a resource carrier_local created after the stack (moto resolved
        them before it existed), resolved again now."""
        created = {lid for lid, what in self.skipped.items() if what == "created by carrier_local"}
        props = self._properties(logical_id)
        variables = (props.get("Environment") or {}).get("Variables") or {}
        resolved = {}
        for name, expression in variables.items():
            text = json.dumps(expression)
            if any(f'"{lid}"' in text or f"${{{lid}" in text for lid in created):
                resolved[name] = str(self.resolver().resolve(expression))
        return resolved

    def _event_source(self, function: str, queue: str, props: Mapping[str, Any]) -> EventSource:
        resolved = self.resolver().resolve(dict(props))
        scaling = resolved.get("ScalingConfig") or {}
        return EventSource(
            function=function,
            queue=queue,
            queue_url=self.queue_url(self.ref(queue)),
            queue_arn=str(self.get_att(queue, "Arn")),
            batch_size=int(resolved.get("BatchSize", 10)),
            batching_window_seconds=int(resolved.get("MaximumBatchingWindowInSeconds", 0)),
            report_batch_item_failures="ReportBatchItemFailures" in (resolved.get("FunctionResponseTypes") or []),
            maximum_concurrency=int(scaling["MaximumConcurrency"]) if "MaximumConcurrency" in scaling else None,
        )


_OPERATIONS_ONLY = frozenset({"AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard", "AWS::Logs::QueryDefinition"})


def _serialize_dynamodb(server: Any) -> None:
    """moto's DynamoDB is not safe under concurrent requests (it deep-copies items while others write:
    "dictionary changed size during iteration"); DynamoDB itself is. One DynamoDB request at a time keeps the
    local stack correct; other services (SQS long polls above all) stay concurrent."""
    wsgi = server._server
    inner = wsgi.app
    lock = threading.Lock()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with lock:
                return list(inner(environ, start_response))
        return inner(environ, start_response)

    wsgi.app = app
