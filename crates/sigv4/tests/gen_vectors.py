"""Regenerates vectors.json: requests signed by botocore's own SigV4 signers.

The clock is pinned, so running this again gives the same file. Each vector records the
path and query exactly as botocore would put them on the wire, the headers it sent, the
signing time, the session token it carried and whether its payload is covered.

Run with a Python that has botocore: python3 gen_vectors.py > vectors.json
"""
import datetime
import json
from email.utils import format_datetime
from hashlib import sha256
from urllib.parse import quote, urlsplit

import botocore.auth
from botocore.auth import S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AKID, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
HOST = "127.0.0.1:9070"
TOKEN = "FQoGZXIvYXdzEXAMPLETOKEN"
NOW = datetime.datetime(2026, 11, 23, 0, 20, 21)
ARN = "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-fn"

botocore.auth.get_current_datetime = lambda *args, **kwargs: NOW


class UnnormalizedAuth(SigV4Auth):
    """A signer that double-encodes the path but leaves '.', '..' and '//' alone."""

    def _normalize_url_path(self, path):
        return quote(path or "/", safe="/~")


class DateHeaderAuth(SigV4Auth):
    """A signer that sends the signing time in `Date` rather than `X-Amz-Date`."""

    def _modify_request_before_signing(self, request):
        super()._modify_request_before_signing(request)
        del request.headers["X-Amz-Date"]
        request.headers["Date"] = format_datetime(NOW.replace(tzinfo=datetime.timezone.utc), usegmt=True)


def sign(name, method, path, query="", body=b"", token=None, headers=None, auth=SigV4Auth,
         payload_signed=True, **auth_args):
    url = f"http://{HOST}{path}" + (f"?{query}" if query else "")
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    auth(Credentials(AKID, SECRET, token), "lambda", "us-east-1", **auth_args).add_auth(req)
    prepared = req.prepare()
    wire = urlsplit(prepared.url)
    return {
        "name": name,
        "method": method,
        "path": wire.path,
        "query": wire.query or None,
        "headers": {k: v for k, v in prepared.headers.items()} | {"host": HOST},
        "body": body.decode(),
        "signed_at": NOW.strftime("%Y%m%dT%H%M%SZ"),
        "session_token": token,
        "payload_signed": payload_signed,
    }


JSON = b'{"FunctionName": "f", "Runtime": "python3.11"}'
vectors = [
    sign("list functions", "GET", "/2015-03-31/functions/", "MaxItems=10&Marker=f%3A%24LATEST"),
    sign("arn path", "GET", f"/2015-03-31/functions/{ARN}/configuration", "Qualifier=live"),
    sign("json body", "POST", "/2015-03-31/functions", body=JSON,
         headers={"Content-Type": "application/json"}),
    sign("session token", "GET", "/2016-08-19/account-settings/", token=TOKEN),
    sign("space and colon in query", "DELETE", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af",
         "tagKeys=a%20b&tagKeys=c%3Ad"),
    sign("invoke", "POST", f"/2015-03-31/functions/{ARN}/invocations",
         "Qualifier=1&MaxItems=10&Marker=x%3Ay%20z", body=b'{"key": "value", "n": [1, 2]}',
         token=TOKEN, headers={"X-Amz-Invocation-Type": "RequestResponse"}),
    sign("content sha256 header", "POST", "/2015-03-31/functions", body=JSON,
         headers={"Content-Type": "application/json", "X-Amz-Content-SHA256": sha256(JSON).hexdigest()}),
    sign("unsigned payload", "POST", "/2015-03-31/functions", body=JSON, payload_signed=False,
         headers={"Content-Type": "application/json", "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}),
    sign("query bytes that are not utf-8", "GET", "/2015-03-31/functions/", "Marker=%FF%FE%3A"),
    sign("dot segments, normalised by the signer", "GET",
         "/2015-03-31/functions/other/../my-fn/.//configuration"),
    sign("dot segments, signed as sent", "GET",
         "/2015-03-31/functions/other/../my-fn/.//configuration", auth=UnnormalizedAuth),
    sign("date header", "GET", f"/2015-03-31/functions/{ARN}", auth=DateHeaderAuth),
    sign("presigned", "GET", f"/2015-03-31/functions/{ARN}/configuration", "Qualifier=live",
         token=TOKEN, auth=SigV4QueryAuth, expires=300),
    sign("presigned unsigned payload", "GET", "/2015-03-31/functions/my-fn/configuration",
         auth=S3SigV4QueryAuth, expires=300, payload_signed=False),
]
print(json.dumps({"access_key_id": AKID, "secret": SECRET, "vectors": vectors}, indent=1))
