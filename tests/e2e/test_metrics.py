"""Prometheus metrics at /metrics: after a known sequence of invocations (successes and
errors on $LATEST, invocations through an alias, a throttle by reserved concurrency 0, cold
starts), a scrape shows exactly those counts per label set, histograms whose counts match,
and gauges that describe the server as it is."""

from __future__ import annotations

import re
import threading
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from helpers import (
    REGION,
    Hook,
    create_function,
    dead_letter,
    event_invoke,
    invoke_json,
    make_client,
    make_zip,
    queued_event,
    uniq,
    wait_active,
    wait_for,
)

CODE = '''
def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"ok": True}
'''

FAIL_ALWAYS = "def handler(event, context):\n    raise ValueError('always')\n"
SLOW_OR_OK = "import time\ndef handler(event, context):\n    time.sleep(event.get('slow', 0))\n    return 1\n"
# Long enough for the scrapes and the concurrency change while it runs, on a loaded machine.
SLOW_SECS = 10

SERIES = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')


class Scrape:
    """A parsed Prometheus text exposition: samples by (name, labels), TYPE and HELP."""

    def __init__(self, text: str):
        self.text = text
        self.samples: dict[tuple[str, frozenset], float] = {}
        self.types: dict[str, str] = {}
        self.helps: dict[str, str] = {}
        for line in text.splitlines():
            if not line.strip():
                continue
            if line.startswith("# TYPE "):
                name, kind = line[len("# TYPE "):].split(" ", 1)
                self.types[name] = kind
                continue
            if line.startswith("# HELP "):
                name, help_text = line[len("# HELP "):].split(" ", 1)
                self.helps[name] = help_text
                continue
            assert not line.startswith("#"), line
            m = SERIES.match(line)
            assert m, f"not a sample line: {line!r}"
            name, labels, value = m.groups()
            pairs = LABEL.findall(labels or "")
            assert ",".join(f'{k}="{v}"' for k, v in pairs) == (labels or ""), line
            key = (name, frozenset(pairs))
            assert key not in self.samples, f"duplicate series: {line}"
            self.samples[key] = float(value)

    def get(self, name: str, **labels) -> float | None:
        return self.samples.get((name, frozenset(labels.items())))

    def series(self, name: str) -> dict[frozenset, float]:
        return {labels: v for (n, labels), v in self.samples.items() if n == name}


def scrape(srv) -> Scrape:
    with urllib.request.urlopen(f"{srv.endpoint}/metrics", timeout=10) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return Scrape(r.read().decode())


def no_retries(srv):
    return boto3.session.Session().client(
        "lambda", endpoint_url=srv.endpoint, region_name=REGION,
        aws_access_key_id=srv.access_key, aws_secret_access_key=srv.secret_key,
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}))


def test_metrics_after_a_known_sequence_of_invocations(server_factory):
    srv = server_factory()
    client = make_client(srv)
    f1, f2 = uniq("metrics"), uniq("metrics-off")
    for name in (f1, f2):
        create_function(client, name, make_zip({"app.py": CODE}), Runtime="python3.11",
                        Handler="app.handler")
        wait_active(client, name)

    # Before anything ran: no series for the function, the unauthenticated route works.
    before = scrape(srv)
    assert not [k for k in before.samples if ("function", f1) in k[1]]

    ok_plain, ok_latest, errors, via_alias = 3, 2, 2, 4
    for _ in range(ok_plain):
        resp, body = invoke_json(client, f1, {})
        assert body == {"ok": True} and "FunctionError" not in resp
    for _ in range(ok_latest):
        resp, body = invoke_json(client, f1, {}, Qualifier="$LATEST")
        assert body == {"ok": True}
    for _ in range(errors):
        resp, _ = invoke_json(client, f1, {"fail": True})
        assert resp["FunctionError"] == "Unhandled"
    version = client.publish_version(FunctionName=f1)["Version"]
    client.create_alias(FunctionName=f1, Name="live", FunctionVersion=version)
    for _ in range(via_alias):
        resp, body = invoke_json(client, f1, {}, Qualifier="live")
        assert body == {"ok": True} and resp["ExecutedVersion"] == version

    client.put_function_concurrency(FunctionName=f2, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as e:
        # One request exactly: the SDK would retry a 429.
        invoke_json(no_retries(srv), f2, {})
    assert e.value.response["Error"]["Code"] == "TooManyRequestsException"

    s = scrape(srv)
    plain = dict(function=f1, resource=f1, executed_version="$LATEST")
    latest = dict(function=f1, resource=f"{f1}:$LATEST", executed_version="$LATEST")
    alias = dict(function=f1, resource=f"{f1}:live", executed_version=version)
    off = dict(function=f2, resource=f2, executed_version="$LATEST")

    assert s.get("stratus_invocations_total", **plain) == ok_plain + errors, s.text
    assert s.get("stratus_errors_total", **plain) == errors
    assert s.get("stratus_invocations_total", **latest) == ok_latest
    assert s.get("stratus_errors_total", **latest) == 0
    assert s.get("stratus_invocations_total", **alias) == via_alias
    assert s.get("stratus_errors_total", **alias) == 0
    # f1 was never refused; f2 was refused once and never ran.
    assert not [k for k in s.series("stratus_throttles_total") if ("function", f1) in k]
    assert s.get("stratus_throttles_total", **off) == 1
    assert s.get("stratus_invocations_total", **off) is None
    # Every invocation has a Duration; the histogram is consistent.
    for labels, n in ((plain, ok_plain + errors), (latest, ok_latest), (alias, via_alias)):
        assert s.get("stratus_duration_seconds_count", **labels) == n
        assert s.get("stratus_duration_seconds_bucket", **labels, le="+Inf") == n
        assert 0 < s.get("stratus_duration_seconds_sum", **labels) < 60 * n
    buckets = sorted(
        (float(dict(k)["le"]), v) for k, v in s.series("stratus_duration_seconds_bucket").items()
        if dict(k).get("resource") == f1
    )
    assert [v for _, v in buckets] == sorted(v for _, v in buckets), buckets

    # One cold start for $LATEST, one for the published version.
    assert s.get("stratus_cold_starts_total", function=f1) == 2
    assert s.get("stratus_cold_starts_total", function=f2) is None
    assert s.get("stratus_init_duration_seconds_count", function=f1) == 2
    assert 0 < s.get("stratus_init_duration_seconds_sum", function=f1) < 20
    assert s.get("stratus_sandbox_setup_duration_seconds_count", function=f1) == 2

    # Nothing runs now; both environments wait, idle or frozen.
    assert s.get("stratus_concurrent_executions", function=f1) == 0
    assert s.get("stratus_account_concurrent_executions") == 0
    assert s.get("stratus_unreserved_concurrent_executions") == 0
    assert s.get("stratus_environments", state="busy") == 0
    assert s.get("stratus_environments", state="idle") + s.get("stratus_environments", state="frozen") == 2
    assert s.get("stratus_process_resident_memory_bytes") > 1024 * 1024
    # The reaper freezes idle environments after a moment; the gauge follows.
    wait_for("the idle environments to be frozen",
             lambda: scrape(srv).get("stratus_environments", state="frozen") == 2)
    # The server keeps two sandboxes spawned ahead (its default).
    wait_for("the spare sandboxes", lambda: scrape(srv).get("stratus_spare_sandboxes") == 2)

    for name, kind in (("stratus_invocations_total", "counter"),
                       ("stratus_errors_total", "counter"),
                       ("stratus_throttles_total", "counter"),
                       ("stratus_duration_seconds", "histogram"),
                       ("stratus_cold_starts_total", "counter"),
                       ("stratus_init_duration_seconds", "histogram"),
                       ("stratus_environments", "gauge"),
                       ("stratus_process_resident_memory_bytes", "gauge")):
        assert s.types.get(name) == kind, (name, s.types.get(name))
        assert s.helps.get(name), name


def test_concurrent_executions_while_invocations_run(server_factory):
    srv = server_factory()
    client = make_client(srv)
    reserved, unreserved = uniq("metrics-busy-r"), uniq("metrics-busy-u")
    code = "import time\ndef handler(event, context):\n    time.sleep(event['sleep'])\n    return {}\n"
    for name in (reserved, unreserved):
        create_function(client, name, make_zip({"app.py": code}), Runtime="python3.11",
                        Handler="app.handler", Timeout=60)
        wait_active(client, name)
    client.put_function_concurrency(FunctionName=reserved, ReservedConcurrentExecutions=5)

    # Both sleep long enough for the scrapes below to see them running together, even on a
    # loaded machine where a cold start takes seconds.
    threads = [threading.Thread(target=invoke_json, args=(client, name, {"sleep": 15}))
               for name in (reserved, unreserved)]
    for t in threads:
        t.start()
    try:
        s = wait_for("both invocations to run",
                     lambda: (x := scrape(srv)).get("stratus_environments", state="busy") == 2 and x)
        assert s.get("stratus_concurrent_executions", function=reserved) == 1
        assert s.get("stratus_concurrent_executions", function=unreserved) == 1
        assert s.get("stratus_account_concurrent_executions") == 2
        # Only the function without a reservation draws on the unreserved pool.
        assert s.get("stratus_unreserved_concurrent_executions") == 1
    finally:
        for t in threads:
            t.join(timeout=60)
    s = scrape(srv)
    assert s.get("stratus_concurrent_executions", function=reserved) == 0
    assert s.get("stratus_account_concurrent_executions") == 0
    assert s.get("stratus_environments", state="busy") == 0
    assert s.get("stratus_invocations_total", function=reserved, resource=reserved,
                 executed_version="$LATEST") == 1


def test_async_metrics_after_a_known_sequence_of_events(server_factory):
    srv = server_factory(extra_env={"STRATUS_ASYNC_RETRY_BASE_SECS": "1"})
    client = make_client(srv)
    codes = {"ok": CODE, "fail": FAIL_ALWAYS, "off": SLOW_OR_OK, "hook": CODE, "dlq": FAIL_ALWAYS}
    names = {k: uniq(f"metrics-async-{k}") for k in codes}
    for kind, name in names.items():
        create_function(client, name, make_zip({"app.py": codes[kind]}), Timeout=60)
        wait_active(client, name)
    bad = Hook(500)
    try:
        client.put_function_event_invoke_config(FunctionName=names["fail"], MaximumRetryAttempts=1)
        client.put_function_event_invoke_config(
            FunctionName=names["hook"], DestinationConfig={"OnSuccess": {"Destination": bad.url}})
        client.put_function_event_invoke_config(FunctionName=names["dlq"], MaximumRetryAttempts=0)
        client.update_function_configuration(FunctionName=names["dlq"], DeadLetterConfig={"TargetArn": bad.url})
        wait_active(client, names["dlq"])

        # "off": one slow event holds the function's only slot; two more wait in the queue
        # (throttled) until its reserved concurrency becomes 0, which ends them.
        off = names["off"]
        client.put_function_concurrency(FunctionName=off, ReservedConcurrentExecutions=1)
        slow = event_invoke(client, off, {"slow": SLOW_SECS})
        wait_for("the slow event to run",
                 lambda: scrape(srv).get("stratus_concurrent_executions", function=off) == 1)
        held = [event_invoke(client, off, {"i": i}) for i in range(2)]
        assert wait_for("the queue of the held events",
                        lambda: scrape(srv).get("stratus_async_queue_depth", function=off) == 3)
        client.put_function_concurrency(FunctionName=off, ReservedConcurrentExecutions=0)
        for rid in held:
            assert wait_for("a dead letter", lambda: dead_letter(srv, rid))[0] == "ZeroReservedConcurrency"

        sent = {"ok": 3, "fail": 2, "hook": 1, "dlq": 1}
        ids = {kind: [event_invoke(client, names[kind], {"i": i}) for i in range(n)] for kind, n in sent.items()}
        sent["off"] = 3
        # The failures end as dead letters (so does the success whose OnSuccess failed).
        for kind in ("fail", "hook", "dlq"):
            for rid in ids[kind]:
                wait_for(f"the dead letter of {kind}", lambda: dead_letter(srv, rid))
        for rid in ids["ok"] + [slow]:
            wait_for("a success to leave the queue", lambda: queued_event(srv, rid) is None)
        s = wait_for("the queue to drain",
                     lambda: (x := scrape(srv)).get("stratus_async_queue_depth", function=off) == 0 and x)
    finally:
        bad.close()

    assert s.get("stratus_async_oldest_event_age_seconds", function=off) == 0
    for kind, n in sent.items():
        assert s.get("stratus_async_events_received_total", function=names[kind]) == n, (kind, s.text)
    # One age per claim: every run (a retry is a run), and each end without a run.
    ages = {"ok": 3, "fail": 2 * 2, "hook": 1, "dlq": 1}
    for kind, n in ages.items():
        assert s.get("stratus_async_event_age_seconds_count", function=names[kind]) == n, kind
        assert s.get("stratus_async_event_age_seconds_bucket", function=names[kind], le="+Inf") == n
    # The held events were also claimed (and throttled) while the slow one ran.
    assert s.get("stratus_async_event_age_seconds_count", function=off) >= 3
    dropped = s.series("stratus_async_events_dropped_total")
    assert {tuple(sorted(k)): v for k, v in dropped.items() if dict(k)["function"] in names.values()} == {
        (("condition", "RetriesExhausted"), ("function", names["fail"])): 2,
        (("condition", "ZeroReservedConcurrency"), ("function", off)): 2,
        (("condition", "RetriesExhausted"), ("function", names["dlq"])): 1,
    }
    # The failing webhook: one failed destination delivery, one failed dead-letter delivery,
    # each tried twice.
    assert s.get("stratus_destination_delivery_failures_total", function=names["hook"]) == 1
    assert s.get("stratus_dead_letter_errors_total", function=names["dlq"]) == 1
    for kind in ("ok", "fail", "off"):
        assert s.get("stratus_destination_delivery_failures_total", function=names[kind]) is None
        assert s.get("stratus_dead_letter_errors_total", function=names[kind]) is None
    assert len(bad.requests()) == 4
    # The runs are invocations like any other, through the qualified ARN the event runs as
    # (its destination record's functionArn); the held events never ran.
    latest = {kind: dict(function=n, resource=f"{n}:$LATEST", executed_version="$LATEST")
              for kind, n in names.items()}
    assert s.get("stratus_invocations_total", **latest["ok"]) == 3
    assert s.get("stratus_errors_total", **latest["fail"]) == 4
    assert s.get("stratus_invocations_total", **latest["off"]) == 1
    assert s.get("stratus_errors_total", **latest["off"]) == 0
    for name, kind in (("stratus_async_events_received_total", "counter"),
                       ("stratus_async_event_age_seconds", "histogram"),
                       ("stratus_async_events_dropped_total", "counter"),
                       ("stratus_destination_delivery_failures_total", "counter"),
                       ("stratus_dead_letter_errors_total", "counter"),
                       ("stratus_async_queue_depth", "gauge"),
                       ("stratus_async_oldest_event_age_seconds", "gauge")):
        assert s.types.get(name) == kind, (name, s.types.get(name))
