"""Regenerates vectors.json: requests signed by botocore's own SigV4 signer.

Each vector carries its X-Amz-Date; the test verifies at that instant.

Run with a Python that has botocore: python3 gen_vectors.py > vectors.json
"""
import json

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AKID, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
HOST = "127.0.0.1:9070"


def sign(name, method, path, query="", body=b"", token=None, headers=None):
    url = f"http://{HOST}{path}" + (f"?{query}" if query else "")
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    creds = Credentials(AKID, SECRET, token)
    SigV4Auth(creds, "lambda", "us-east-1").add_auth(req)
    prepared = req.prepare()
    return {
        "name": name,
        "method": method,
        "path": path,
        "query": query or None,
        "headers": {k: v for k, v in prepared.headers.items()} | {"host": HOST},
        "body": body.decode(),
    }


vectors = [
    sign("list functions", "GET", "/2015-03-31/functions/", "MaxItems=10&Marker=f%3A%24LATEST"),
    sign("arn path", "GET", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-fn/configuration", "Qualifier=live"),
    sign("json body", "POST", "/2015-03-31/functions", body=b'{"FunctionName": "f", "Runtime": "python3.11"}',
         headers={"Content-Type": "application/json"}),
    sign("session token", "GET", "/2016-08-19/account-settings/", token="FQoGZXIvYXdzEXAMPLETOKEN"),
    sign("space and colon in query", "DELETE", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af",
         "tagKeys=a%20b&tagKeys=c%3Ad"),
]
print(json.dumps({"access_key_id": AKID, "secret": SECRET, "vectors": vectors}, indent=1))
