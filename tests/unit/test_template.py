"""What operators rely on in template.yaml (it also passes `sam validate --lint` in `make lint`)."""

from tests.support import template

# Actions with no resource-level permissions: "*" is the only resource AWS accepts for them.
STAR_ONLY_ACTIONS = {"logs:", "xray:"}


def resources_of(kind: str) -> dict:
    return {k: v for k, v in template()["Resources"].items() if v["Type"] == kind}


def test_operations_resources() -> None:
    assert len(resources_of("AWS::CloudWatch::Dashboard")) == 1
    alarms = resources_of("AWS::CloudWatch::Alarm")
    assert len(alarms) >= 4
    assert all("AlarmActions" in a["Properties"] for a in alarms.values())
    assert len(resources_of("AWS::Logs::QueryDefinition")) >= 3
    for group in resources_of("AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_no_iam_statement_grants_star_where_an_arn_can_be_named() -> None:
    for name, resource in template()["Resources"].items():
        for policy in resource.get("Properties", {}).get("Policies", []) or []:
            for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
                if statement.get("Resource") == "*":
                    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                    assert all(a.startswith(tuple(STAR_ONLY_ACTIONS)) for a in actions), (name, statement)


def test_functions_run_python_311_on_arm64_with_the_layer() -> None:
    function = template()["Globals"]["Function"]
    assert function["Runtime"] == "python3.11" and function["Architectures"] == ["arm64"]
    assert function["Layers"] == [{"Ref": "CoreLayer"}]
    assert template()["Parameters"]["AllowPrivateTargets"]["Default"] == "false"


def test_a_claim_goes_stale_after_its_invocation_and_before_the_message_returns() -> None:
    """A live dispatcher's claim is never taken over (stale window > its Timeout, whatever HttpTimeoutSeconds
    allows: one invocation never outlives its Timeout), and the first redelivery of a dead run's message finds
    its claim stale (stale window < the queue's VisibilityTimeout)."""
    resources = template()["Resources"]
    dispatcher = resources["DispatcherFunction"]["Properties"]
    stale = int(dispatcher["Environment"]["Variables"]["CLAIM_STALE_SECONDS"])
    visibility = int(resources["EventsQueue"]["Properties"]["VisibilityTimeout"])
    http_timeout = template()["Parameters"]["HttpTimeoutSeconds"]
    assert int(dispatcher["Timeout"]) < stale < visibility
    assert int(http_timeout["MaxValue"]) < int(dispatcher["Timeout"])  # one attempt always fits an invocation


def test_the_reconciler_runs_on_a_schedule_reads_a_sparse_index_and_every_repair_alarms() -> None:
    resources = template()["Resources"]
    reconciler = resources["ReconcilerFunction"]["Properties"]
    [event] = reconciler["Events"].values()
    assert event["Type"] == "Schedule"
    assert event["Properties"]["Schedule"] == {"Fn::Sub": "rate(${ReconcileRateMinutes} minutes)"}
    assert template()["Parameters"]["ReconcileRateMinutes"]["Default"] == 5
    from carrier.store import open_index

    [index] = [i for i in resources["Table"]["Properties"]["GlobalSecondaryIndexes"] if i["IndexName"] == "open"]

    keys = {k["KeyType"]: k["AttributeName"] for k in index["KeySchema"]}
    assert index["IndexName"] == open_index.INDEX and keys == {"HASH": "open_shard", "RANGE": "open_due"}
    alarm = resources["DeliveriesRepairedAlarm"]["Properties"]
    assert alarm["MetricName"] == "DeliveriesRepaired" and alarm["Threshold"] == 0
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert resources["ClaimsHeldAlarm"]["Properties"]["MetricName"] == "ClaimsHeld"


def test_a_delivery_lock_outlives_every_function_that_holds_one() -> None:
    from carrier.retries import LOCK_SECONDS

    resources = template()["Resources"]
    default = int(template()["Globals"]["Function"]["Timeout"])
    for name in ("AttemptFunction", "ApiFunction"):  # ladder steps; manual retries and recover
        assert int(resources[name]["Properties"].get("Timeout", default)) < LOCK_SECONDS, name
