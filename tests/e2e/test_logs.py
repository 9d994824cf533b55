"""Function logs through the CloudWatch Logs API subset (boto3 `logs` client and the
aws CLI v1 and v2, whose `logs tail` and `logs tail --follow` are v2-only): log groups /aws/lambda/NAME, one stream per execution environment named
YYYY/MM/DD/[VERSION]<env id>, INIT_START/START/END/REPORT platform lines (spec F),
filtering, pagination, follow-style polling, retention and errors."""

from __future__ import annotations

import re
import subprocess
import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from helpers import (
    ACCOUNT,
    REGION,
    create_function,
    invoke_json,
    make_logs_client,
    make_zip,
    uniq,
    wait_active,
)

STREAM_RE = re.compile(r"^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$")
REPORT_RE = re.compile(
    r"^REPORT RequestId: (?P<rid>[0-9a-f-]{36})\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
    r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\t(?P<init>Init Duration: \d+\.\d\d ms\t)?$"
)

APP = '''
def handler(event, context):
    for i in range(event.get("lines", 1)):
        print(event.get("word", "plain"), "line", i, event.get("tag", ""))
    return {"request_id": context.aws_request_id, "stream": context.log_stream_name}
'''


def msg(e: dict) -> str:
    return e["message"].rstrip("\n")


@pytest.fixture(scope="module")
def logs(server):
    return make_logs_client(server)


@pytest.fixture(scope="module")
def fn(lambda_client):
    """A function invoked twice (cold, then warm) before the tests look at its logs."""
    name = uniq("logs")
    create_function(lambda_client, name, make_zip({"app.py": APP}), Runtime="python3.11",
                    Handler="app.handler", MemorySize=128, Timeout=10)
    wait_active(lambda_client, name)
    t0 = int(time.time() * 1000)
    _, first = invoke_json(lambda_client, name, {"word": "cold-hello", "lines": 1})
    _, second = invoke_json(lambda_client, name, {"word": "warm-hello", "lines": 2})
    assert first["stream"] == second["stream"]
    return {"name": name, "group": f"/aws/lambda/{name}", "stream": first["stream"],
            "rids": [first["request_id"], second["request_id"]], "t0": t0}


def wait_for(pred, timeout=5.0, interval=0.1):
    """Logs may be delivered a little after Invoke returns (as on AWS); poll briefly."""
    deadline = time.monotonic() + timeout
    while True:
        val = pred()
        if val or time.monotonic() > deadline:
            return val
        time.sleep(interval)


def all_events(logs, group, stream):
    resp = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    return resp["events"]


def test_describe_log_groups_with_prefix(logs, fn):
    prefix = fn["group"][:-4]
    groups = wait_for(lambda: logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"])
    names = [g["logGroupName"] for g in groups]
    assert names == [fn["group"]], names
    g = groups[0]
    assert g["arn"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{fn['group']}:*", g
    assert isinstance(g["creationTime"], int) and g["creationTime"] >= fn["t0"] - 60_000
    assert "retentionInDays" not in g
    # The general /aws/lambda/ prefix lists it too; a non-matching prefix does not.
    every = [g["logGroupName"] for p in logs.get_paginator("describe_log_groups").paginate(
        logGroupNamePrefix="/aws/lambda/") for g in p["logGroups"]]
    assert fn["group"] in every and every == sorted(every)
    assert logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{uniq('none')}")["logGroups"] == []


def test_describe_log_streams(logs, fn):
    streams = wait_for(lambda: logs.describe_log_streams(logGroupName=fn["group"])["logStreams"])
    assert [s["logStreamName"] for s in streams] == [fn["stream"]]
    s = streams[0]
    assert STREAM_RE.match(s["logStreamName"]), s
    assert s["arn"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{fn['group']}:log-stream:{fn['stream']}"
    assert s["firstEventTimestamp"] <= s["lastEventTimestamp"]
    assert s["firstEventTimestamp"] >= fn["t0"] - 5_000
    by_time = logs.describe_log_streams(logGroupName=fn["group"], orderBy="LastEventTime",
                                        descending=True)["logStreams"]
    assert [x["logStreamName"] for x in by_time] == [fn["stream"]]
    pref = logs.describe_log_streams(logGroupName=fn["group"], logStreamNamePrefix=fn["stream"][:11])
    assert [x["logStreamName"] for x in pref["logStreams"]] == [fn["stream"]]


def test_describe_log_streams_ordering(lambda_client, logs):
    """Two environments (the config update retires the first) give two streams."""
    name = uniq("logord")
    create_function(lambda_client, name, make_zip({"app.py": APP}), Runtime="python3.11", Handler="app.handler")
    wait_active(lambda_client, name)
    _, a = invoke_json(lambda_client, name, {"word": "env-a"})
    lambda_client.update_function_configuration(FunctionName=name, Description="retire env a")
    wait_active(lambda_client, name)
    time.sleep(0.01)
    _, b = invoke_json(lambda_client, name, {"word": "env-b"})
    assert a["stream"] != b["stream"]
    group = f"/aws/lambda/{name}"

    def names(**kw):
        return [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group, **kw)["logStreams"]]

    assert wait_for(lambda: len(names()) == 2), names()
    assert names() == sorted([a["stream"], b["stream"]])  # default: by name, ascending
    assert names(orderBy="LastEventTime", descending=True) == [b["stream"], a["stream"]]
    assert names(orderBy="LastEventTime") == [a["stream"], b["stream"]]
    assert names(descending=True) == sorted([a["stream"], b["stream"]], reverse=True)
    page = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True, limit=1)
    assert [s["logStreamName"] for s in page["logStreams"]] == [b["stream"]] and page.get("nextToken")
    rest = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True,
                                     limit=1, nextToken=page["nextToken"])
    assert [s["logStreamName"] for s in rest["logStreams"]] == [a["stream"]]
    # FilterLogEvents interleaves both streams; logStreamNames restricts it.
    both = logs.filter_log_events(logGroupName=group, filterPattern="line")["events"]
    assert {e["logStreamName"] for e in both} == {a["stream"], b["stream"]}
    only_a = logs.filter_log_events(logGroupName=group, logStreamNames=[a["stream"]])["events"]
    assert {e["logStreamName"] for e in only_a} == {a["stream"]}
    assert "env-a line 0 " in [msg(e) for e in only_a]


def test_get_log_events_platform_lines_in_order(logs, fn):
    rid1, rid2 = fn["rids"]
    def complete():
        evs = all_events(logs, fn["group"], fn["stream"])
        return evs if any(msg(e).startswith(f"REPORT RequestId: {rid2}") for e in evs) else None

    events = wait_for(complete)
    assert events, "no REPORT line for the second invocation"
    lines = [msg(e) for e in events]
    ts = [e["timestamp"] for e in events]
    assert ts == sorted(ts), "events are not in time order"
    assert all(isinstance(e.get("ingestionTime"), int) for e in events)

    def idx(pred, start=0):
        for i in range(start, len(lines)):
            if pred(lines[i]):
                return i
        raise AssertionError(f"line not found after #{start} in {lines}")

    i_init = idx(lambda l: l.startswith("INIT_START Runtime Version: "))
    i_start = idx(lambda l: l == f"START RequestId: {rid1} Version: $LATEST", i_init)
    i_out = idx(lambda l: l == "cold-hello line 0 ", i_start)
    i_end = idx(lambda l: l == f"END RequestId: {rid1}", i_out)
    i_rep = idx(lambda l: l.startswith(f"REPORT RequestId: {rid1}"), i_end)
    m = REPORT_RE.match(lines[i_rep])
    assert m and m.group("init"), f"cold REPORT line malformed: {lines[i_rep]!r}"
    i_start2 = idx(lambda l: l == f"START RequestId: {rid2} Version: $LATEST", i_rep)
    i_out2 = idx(lambda l: l == "warm-hello line 1 ", i_start2)
    i_end2 = idx(lambda l: l == f"END RequestId: {rid2}", i_out2)
    i_rep2 = idx(lambda l: l.startswith(f"REPORT RequestId: {rid2}"), i_end2)
    m2 = REPORT_RE.match(lines[i_rep2])
    assert m2 and not m2.group("init"), f"warm REPORT line malformed: {lines[i_rep2]!r}"
    assert sum(1 for l in lines if l.startswith("INIT_START")) == 1


def test_get_log_events_tokens_and_limit(logs, fn):
    full = all_events(logs, fn["group"], fn["stream"])
    first = logs.get_log_events(logGroupName=fn["group"], logStreamName=fn["stream"], startFromHead=True, limit=2)
    assert [msg(e) for e in first["events"]] == [msg(e) for e in full[:2]]
    nxt = logs.get_log_events(logGroupName=fn["group"], logStreamName=fn["stream"], startFromHead=True,
                              nextToken=first["nextForwardToken"], limit=2)
    assert [msg(e) for e in nxt["events"]] == [msg(e) for e in full[2:4]]
    # Without startFromHead, the newest events come back.
    last = logs.get_log_events(logGroupName=fn["group"], logStreamName=fn["stream"], limit=1)
    assert [msg(e) for e in last["events"]] == [msg(full[-1])]
    # Reading forward past the end returns no events and the same token.
    tok = logs.get_log_events(logGroupName=fn["group"], logStreamName=fn["stream"], startFromHead=True)["nextForwardToken"]
    end = logs.get_log_events(logGroupName=fn["group"], logStreamName=fn["stream"], nextToken=tok)
    assert end["events"] == [] and end["nextForwardToken"] == tok
    # startTime/endTime bound the events.
    cut = full[-1]["timestamp"]
    late = logs.get_log_events(logGroupName=fn["group"], logStreamName=fn["stream"], startFromHead=True,
                               startTime=cut)["events"]
    assert late and all(e["timestamp"] >= cut for e in late)


def test_filter_log_events_pattern_start_time_and_pagination(lambda_client, logs, fn):
    word = "needle" + uuid.uuid4().hex[:8]
    before = int(time.time() * 1000)
    _, out = invoke_json(lambda_client, fn["name"], {"word": word, "lines": 25, "tag": "tagA"})
    invoke_json(lambda_client, fn["name"], {"word": "hay", "lines": 3, "tag": "tagA"})

    def collect(**kw):
        got, token, pages = [], None, 0
        while True:
            if token:
                kw["nextToken"] = token
            resp = logs.filter_log_events(logGroupName=fn["group"], **kw)
            got += resp["events"]
            pages += 1
            token = resp.get("nextToken")
            if not token or pages > 50:
                return got, pages

    events = wait_for(lambda: len(collect(filterPattern=word)[0]) >= 25 and collect(filterPattern=word)[0])
    assert events, "filter-log-events never returned the needle lines"
    assert sorted(msg(e) for e in events) == sorted(f"{word} line {i} tagA" for i in range(25))
    for e in events:
        assert e["logStreamName"] == fn["stream"] and e["eventId"] and e["timestamp"] >= before - 1000
    # Paginates with nextToken when there are more matches than the limit.
    paged, pages = collect(filterPattern=word, limit=10)
    assert pages >= 3, f"expected several pages with limit=10, got {pages}"
    assert [e["eventId"] for e in paged] == [e["eventId"] for e in events]
    assert len({e["eventId"] for e in paged}) == 25
    # The botocore paginator works too.
    via_paginator = [e for p in logs.get_paginator("filter_log_events").paginate(
        logGroupName=fn["group"], filterPattern=word, PaginationConfig={"PageSize": 7}) for e in p["events"]]
    assert len(via_paginator) == 25
    # Two terms must both match; a quoted phrase matches exactly.
    both = collect(filterPattern=f"{word} tagA")[0]
    assert len(both) == 25
    none = collect(filterPattern=f"{word} tagB")[0]
    assert none == []
    phrase = collect(filterPattern=f'"{word} line 7 "')[0]
    assert [msg(e) for e in phrase] == [f"{word} line 7 tagA"]
    # startTime excludes earlier events; endTime excludes later ones.
    assert not [e for e in collect(filterPattern='"cold-hello"', startTime=before)[0]]
    old = collect(filterPattern='"cold-hello"', endTime=before - 1)[0]
    assert [msg(e) for e in old] == ["cold-hello line 0 "]
    # A filter on the request id finds its START/END/REPORT lines.
    rid_lines = [msg(e).split(" ")[0] for e in collect(filterPattern=f'"{out["request_id"]}"')[0]]
    assert rid_lines == ["START", "END", "REPORT"], rid_lines


def test_follow_polling_sees_new_invocations(lambda_client, logs, fn):
    """What `aws logs tail --follow` does: poll FilterLogEvents from the last timestamp + 1."""
    events = logs.filter_log_events(logGroupName=fn["group"], startTime=fn["t0"])["events"]
    assert events
    last = max(e["timestamp"] for e in events)
    seen_ids = {e["eventId"] for e in events}
    time.sleep(0.01)
    word = "follow" + uuid.uuid4().hex[:8]
    _, out = invoke_json(lambda_client, fn["name"], {"word": word, "lines": 2})

    def poll():
        got = logs.filter_log_events(logGroupName=fn["group"], startTime=last + 1)["events"]
        return got if any(f"END RequestId: {out['request_id']}" == msg(e) for e in got) else None

    new = wait_for(poll)
    assert new, "the later invocation's lines never showed up when polling from last+1"
    texts = [msg(e) for e in new]
    assert f"{word} line 0 " in texts and f"{word} line 1 " in texts
    assert f"START RequestId: {out['request_id']} Version: $LATEST" in texts
    assert not seen_ids & {e["eventId"] for e in new}, "old events came back"
    assert all(e["timestamp"] > last for e in new)


def test_retention_policy(logs, fn):
    logs.put_retention_policy(logGroupName=fn["group"], retentionInDays=14)
    g = logs.describe_log_groups(logGroupNamePrefix=fn["group"])["logGroups"][0]
    assert g["retentionInDays"] == 14
    with pytest.raises(ClientError) as ei:
        logs.put_retention_policy(logGroupName=fn["group"], retentionInDays=8)
    assert ei.value.response["Error"]["Code"] == "InvalidParameterException", ei.value.response
    assert logs.describe_log_groups(logGroupNamePrefix=fn["group"])["logGroups"][0]["retentionInDays"] == 14
    logs.delete_retention_policy(logGroupName=fn["group"])
    g = logs.describe_log_groups(logGroupNamePrefix=fn["group"])["logGroups"][0]
    assert "retentionInDays" not in g
    # Events are still there.
    assert all_events(logs, fn["group"], fn["stream"])


def test_unknown_group_and_stream(logs, fn):
    missing = f"/aws/lambda/{uniq('nolog')}"
    calls = {
        "DescribeLogStreams": lambda: logs.describe_log_streams(logGroupName=missing),
        "GetLogEvents": lambda: logs.get_log_events(logGroupName=missing, logStreamName="x"),
        "FilterLogEvents": lambda: logs.filter_log_events(logGroupName=missing),
        "PutRetentionPolicy": lambda: logs.put_retention_policy(logGroupName=missing, retentionInDays=7),
        "DeleteRetentionPolicy": lambda: logs.delete_retention_policy(logGroupName=missing),
        "DeleteLogGroup": lambda: logs.delete_log_group(logGroupName=missing),
        "GetLogEvents(unknown stream)": lambda: logs.get_log_events(
            logGroupName=fn["group"], logStreamName="2020/01/01/[$LATEST]" + "0" * 32),
    }
    wrong = {}
    for op, call in calls.items():
        try:
            resp = call()
            wrong[op] = f"succeeded: {resp}"
            continue
        except ClientError as e:
            err = e.response
        if err["Error"]["Code"] != "ResourceNotFoundException" or err["ResponseMetadata"]["HTTPStatusCode"] != 400:
            wrong[op] = f'{err["ResponseMetadata"]["HTTPStatusCode"]} {err["Error"]}'
    assert not wrong, f"expected 400 ResourceNotFoundException: {wrong}"


def test_delete_log_group_and_recreate_on_next_invoke(lambda_client, logs):
    name = uniq("logdel")
    create_function(lambda_client, name, make_zip({"app.py": APP}), Runtime="python3.11", Handler="app.handler")
    wait_active(lambda_client, name)
    group = f"/aws/lambda/{name}"
    invoke_json(lambda_client, name, {"word": "before-delete"})
    assert wait_for(lambda: logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"])
    logs.delete_log_group(logGroupName=group)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []
    # Lambda writes the group again on the next invocation (as it does with the basic execution role).
    _, out = invoke_json(lambda_client, name, {"word": "after-delete"})
    events = wait_for(lambda: logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] and
                      logs.filter_log_events(logGroupName=group)["events"])
    texts = [msg(e) for e in events or []]
    assert "after-delete line 0 " in texts and "before-delete line 0 " not in texts, texts


# --------------------------------------------------------------------------- aws CLI v1


def test_aws_cli_filter_and_get_log_events(aws, fn):
    out = aws("logs", "filter-log-events", "--log-group-name", fn["group"], "--filter-pattern", '"cold-hello"')
    assert [msg(e) for e in out["events"]] == ["cold-hello line 0 "], out
    assert out["events"][0]["logStreamName"] == fn["stream"]
    out = aws("logs", "get-log-events", "--log-group-name", fn["group"], "--log-stream-name", fn["stream"],
              "--start-from-head")
    lines = [msg(e) for e in out["events"]]
    assert lines[0].startswith("INIT_START")
    assert f"START RequestId: {fn['rids'][0]} Version: $LATEST" in lines
    assert any(REPORT_RE.match(l) for l in lines)
    out = aws("logs", "describe-log-streams", "--log-group-name", fn["group"],
              "--order-by", "LastEventTime", "--descending")
    assert out["logStreams"][0]["logStreamName"] == fn["stream"]
    p = aws.fail("logs", "get-log-events", "--log-group-name", f"/aws/lambda/{uniq('none')}",
                 "--log-stream-name", "x")
    assert "ResourceNotFoundException" in p.stderr, p.stderr


# --------------------------------------------------------------------------- aws CLI v2: logs tail


def test_aws_cli_v2_logs_tail(aws2, fn):
    """`aws logs tail` (a v2-only command built on FilterLogEvents) prints the function's lines."""
    p = aws2.run("logs", "tail", fn["group"], "--since", "1h", "--format", "short")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    # --format short: "<timestamp> <message>"
    texts = [l.split(" ", 1)[1].rstrip() for l in lines if " " in l]  # the CLI strips messages
    assert "cold-hello line 0" in texts and "warm-hello line 1" in texts, lines
    assert f"START RequestId: {fn['rids'][0]} Version: $LATEST" in texts
    assert any(t.startswith("INIT_START Runtime Version: ") for t in texts)
    # The default (detailed) format names the stream; --filter-pattern narrows it.
    p = aws2.run("logs", "tail", fn["group"], "--since", "1h", "--filter-pattern", '"cold-hello"')
    assert p.returncode == 0, p.stderr
    assert [l.split(" ", 2)[1:] for l in p.stdout.splitlines()] == [[fn["stream"], "cold-hello line 0"]], p.stdout
    # An unknown group is ResourceNotFoundException, as on CloudWatch Logs.
    p = aws2.run("logs", "tail", f"/aws/lambda/{uniq('none')}")
    assert p.returncode != 0 and "ResourceNotFoundException" in p.stderr, p.stderr


def test_aws_cli_v2_logs_tail_follow(aws2, lambda_client, fn):
    """`aws logs tail --follow` keeps polling and prints invocations made after it started."""
    word = "tailf" + uuid.uuid4().hex[:8]
    proc = subprocess.Popen(aws2.command("logs", "tail", fn["group"], "--follow", "--format", "short"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=aws2.env())
    try:
        seen: list[str] = []
        reader = threading.Thread(target=lambda: seen.extend(iter(proc.stdout.readline, "")), daemon=True)
        reader.start()
        # The first poll prints the history; wait for it before invoking.
        assert wait_for(lambda: any("cold-hello line 0" in l for l in seen), timeout=30), seen
        _, out = invoke_json(lambda_client, fn["name"], {"word": word, "lines": 2})
        rid = out["request_id"]
        assert wait_for(lambda: any(f"REPORT RequestId: {rid}" in l for l in seen), timeout=30), seen
        texts = [l.split(" ", 1)[1].rstrip() for l in seen]
        assert f"{word} line 0" in texts and f"{word} line 1" in texts, texts
        assert texts.count(f"START RequestId: {rid} Version: $LATEST") == 1, texts
        assert proc.poll() is None, "aws logs tail --follow exited on its own"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
