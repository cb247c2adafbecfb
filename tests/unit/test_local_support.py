"""The pure parts of carrier_local: template reading, intrinsics, handler loading, SQS event shapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from carrier_local import handlers
from carrier_local.cfn import (
    StackError,
    effective_parameters,
    fold_definition_substitutions,
    prepare_for_translation,
)
from carrier_local.intrinsics import IntrinsicError, Resolver
from carrier_local.poller import failed_message_ids, sqs_event
from carrier_local.template import (
    function_sources,
    load_template,
    parse_template,
    sqs_event_sources,
)

# -- template ----------------------------------------------------------------------------------------


def test_short_form_tags() -> None:
    template = parse_template(
        """
AWSTemplateFormatVersion: 2010-09-09
Resources:
  R:
    Type: T
    Properties:
      A: !Ref Param
      B: !Sub "x-${Stage}"
      C: !GetAtt Queue.Arn
      D: !GetAtt [Queue, Arn]
      E: !Join [",", [!Ref A, !Sub "${B}"]]
      F: !If [Cond, 1, 2]
      G: !Sub
        - "${X}"
        - X: !Ref Y
"""
    )
    props = template["Resources"]["R"]["Properties"]
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    assert props["A"] == {"Ref": "Param"}
    assert props["B"] == {"Fn::Sub": "x-${Stage}"}
    assert props["C"] == props["D"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert props["E"] == {"Fn::Join": [",", [{"Ref": "A"}, {"Fn::Sub": "${B}"}]]}
    assert props["F"] == {"Fn::If": ["Cond", 1, 2]}
    assert props["G"] == {"Fn::Sub": ["${X}", {"X": {"Ref": "Y"}}]}


def test_functions_and_event_sources_of_the_real_template() -> None:
    template = load_template()
    sources = function_sources(template)
    assert {"ApiFunction", "AuthorizerFunction", "DispatcherFunction"} <= set(sources)
    for source in sources.values():
        assert source.module_file.is_file(), source
        assert source.module_file.name == "app.py"
    assert sources["DispatcherFunction"].timeout == template["Resources"]["DispatcherFunction"]["Properties"]["Timeout"]
    found = sqs_event_sources(template)
    assert [(function, queue) for function, queue, _ in found] == [
        ("DispatcherFunction", "EventsQueue"),
        ("DispatcherFunction", "FanoutQueue"),  # the chunks of split fan-outs, one per invocation
    ]
    assert all("ReportBatchItemFailures" in props["FunctionResponseTypes"] for _, _, props in found)
    assert found[1][2]["BatchSize"] == 1


# -- template preparation -------------------------------------------------------------------------------


def test_prepare_for_translation(tmp_path: Path) -> None:
    (tmp_path / "sm.asl.json").write_text('{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}')
    template: dict[str, Any] = {
        "Globals": {"Function": {"CodeUri": "src"}},
        "Resources": {
            "F": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "functions/f"}},
            "R": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "s3://b/k.zip"}},
            "L": {"Type": "AWS::Serverless::LayerVersion", "Properties": {"ContentUri": "layers/core"}},
            "S": {"Type": "AWS::Serverless::StateMachine", "Properties": {"DefinitionUri": "sm.asl.json"}},
        },
    }
    prepared = prepare_for_translation(template, "s3://bucket/p.zip", tmp_path)
    resources = prepared["Resources"]
    assert prepared["Globals"]["Function"]["CodeUri"] == "s3://bucket/p.zip"
    assert resources["F"]["Properties"]["CodeUri"] == "s3://bucket/p.zip"
    assert resources["R"]["Properties"]["CodeUri"] == "s3://b/k.zip"
    assert resources["L"]["Properties"]["ContentUri"] == "s3://bucket/p.zip"
    assert resources["S"]["Properties"]["Definition"]["StartAt"] == "A"
    assert "DefinitionUri" not in resources["S"]["Properties"]
    assert template["Resources"]["F"]["Properties"]["CodeUri"] == "functions/f"  # the input is untouched


def test_definition_substitutions_become_a_sub() -> None:
    cfn: dict[str, Any] = {
        "Resources": {
            "S": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "DefinitionString": {"Fn::Join": ["\n", ["{", '"Resource": "${AttemptArn}"', "}"]]},
                    "DefinitionSubstitutions": {"AttemptArn": {"Fn::GetAtt": ["Attempt", "Arn"]}},
                },
            }
        }
    }
    fold_definition_substitutions(cfn)
    props = cfn["Resources"]["S"]["Properties"]
    assert props == {
        "DefinitionString": {
            "Fn::Sub": ['{\n"Resource": "${AttemptArn}"\n}', {"AttemptArn": {"Fn::GetAtt": ["Attempt", "Arn"]}}]
        }
    }


def test_effective_parameters() -> None:
    template = {"Parameters": {"Stage": {"Default": "dev"}, "Days": {"Type": "Number", "Default": 30}}}
    assert effective_parameters(template, {"Stage": "local"}) == {"Stage": "local", "Days": "30"}
    with pytest.raises(StackError, match="unknown parameters Nope"):
        effective_parameters(template, {"Nope": "1"})


# -- intrinsics ------------------------------------------------------------------------------------------


def _resolver() -> Resolver:
    physical = {"Queue": "https://sqs/123/q", "Bus": "bus-1"}

    def get_att(logical_id: str, attribute: str) -> str:
        return f"arn:{logical_id}:{attribute}"

    return Resolver({"Stage": "local", "AWS::Region": "us-east-1"}, physical.__getitem__, get_att)


def test_resolver() -> None:
    resolver = _resolver()
    value = {
        "Name": {"Fn::Sub": "carrier-${Stage}-${AWS::Region}-${!Literal}"},
        "Queues": [{"Ref": "Queue"}, {"Ref": "AWS::NoValue"}],
        "Target": {"Fn::GetAtt": ["Queue", "Arn"]},
        "Sub": {"Fn::Sub": ["${Q}/${Queue.Arn}", {"Q": {"Ref": "Bus"}}]},
        "Joined": {"Fn::Join": ["-", ["a", {"Ref": "Stage"}]]},
        "Picked": {"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]},
        "Gone": {"Ref": "AWS::NoValue"},
    }
    assert resolver.resolve(value) == {
        "Name": "carrier-local-us-east-1-${Literal}",
        "Queues": ["https://sqs/123/q"],
        "Target": "arn:Queue:Arn",
        "Sub": "bus-1/arn:Queue:Arn",
        "Joined": "a-local",
        "Picked": "y",
    }


def test_resolver_refuses_what_it_cannot_do() -> None:
    with pytest.raises(IntrinsicError, match="Fn::If"):
        _resolver().resolve({"Fn::If": ["C", 1, 2]})


# -- handlers ---------------------------------------------------------------------------------------------


def test_handlers_load_by_path_under_unique_names(tmp_path: Path) -> None:
    for name, answer in (("one", 1), ("two", 2)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "helper.py").write_text(f"ANSWER = {answer}\n")
        (tmp_path / name / "app.py").write_text(
            "import helper\n\ndef handler(event, context):\n"
            "    return {'answer': helper.ANSWER, 'request': context.aws_request_id}\n"
        )
    try:
        first = handlers.load_handler(tmp_path / "one" / "app.py")
        assert handlers.load_handler(tmp_path / "one" / "app.py") is first  # cached
        assert handlers.module_name_for(tmp_path / "one" / "app.py") != handlers.module_name_for(
            tmp_path / "two" / "app.py"
        )
        function = handlers.LocalFunction("One", "carrier-one", tmp_path / "one" / "app.py", timeout=5)
        a, b = function.invoke({}), function.invoke({})
        assert a["answer"] == 1
        assert a["request"] != b["request"]
        with pytest.raises(handlers.HandlerLoadError):
            handlers.load_handler(tmp_path / "one" / "app.py", "missing")
    finally:
        handlers.clear_cache()


def test_a_reload_forgets_the_modules_a_handler_imported_at_its_first_request(tmp_path: Path) -> None:
    # Given a handler whose package it imports only when first called (as the api loads its routes)
    package = tmp_path / "fn" / "lazypkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "routes.py").write_text("ANSWER = 1\n")
    (tmp_path / "fn" / "app.py").write_text(
        "import lazypkg\n\ndef handler(event, context):\n    import lazypkg.routes\n    return lazypkg.routes.ANSWER\n"
    )
    try:
        function = handlers.LocalFunction("Fn", "carrier-fn", tmp_path / "fn" / "app.py", timeout=5)
        assert function.invoke({}) == 1
        # When its code changes and the stack reloads
        (package / "routes.py").write_text("ANSWER = 2\n")
        handlers.clear_cache()
        # Then the next call imports the new code, the lazily imported module too
        assert handlers.LocalFunction("Fn", "carrier-fn", tmp_path / "fn" / "app.py", timeout=5).invoke({}) == 2
    finally:
        handlers.clear_cache()


def test_lambda_context() -> None:
    context = handlers.LambdaContext("carrier-x", 256, "arn:aws:lambda:us-east-1:1:function:carrier-x", 3.0)
    assert 0 < context.get_remaining_time_in_millis() <= 3000
    assert context.log_group_name == "/aws/lambda/carrier-x"
    assert len(context.aws_request_id) == 36


# -- the SQS event and partial batch failures --------------------------------------------------------------


def test_sqs_event_shape() -> None:
    message = {
        "MessageId": "m1",
        "ReceiptHandle": "rh",
        "MD5OfBody": "md5",
        "Body": "{}",
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1", "SenderId": "s"},
        "MessageAttributes": {"kind": {"StringValue": "x", "DataType": "String"}},
        "MD5OfMessageAttributes": "md5a",
    }
    [record] = sqs_event([message], "arn:aws:sqs:us-east-1:123456789012:q", "us-east-1")["Records"]
    assert record == {
        "messageId": "m1",
        "receiptHandle": "rh",
        "body": "{}",
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1", "SenderId": "s"},
        "messageAttributes": {
            "kind": {"stringValue": "x", "stringListValues": [], "binaryListValues": [], "dataType": "String"}
        },
        "md5OfBody": "md5",
        "md5OfMessageAttributes": "md5a",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
        "awsRegion": "us-east-1",
    }


@pytest.mark.parametrize(
    ("result", "failed"),
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, {"a", "b", "c"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"a", "b", "c"}),
        ({"batchItemFailures": "b"}, {"a", "b", "c"}),
    ],
)
def test_failed_message_ids(result: Any, failed: set[str]) -> None:
    assert failed_message_ids(result, ["a", "b", "c"]) == failed


def test_without_report_batch_item_failures_a_return_is_success() -> None:
    assert failed_message_ids({"batchItemFailures": [{"itemIdentifier": "a"}]}, ["a"], False) == set()
