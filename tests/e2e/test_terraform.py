"""Terraform with the real hashicorp/aws provider against the server.

Needs `terraform` on PATH (or /usr/local/bin/terraform) and the aws provider in a local
filesystem mirror (found under /opt, /usr/local or /root, or given as $TF_PROVIDER_MIRROR)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import (
    ACCOUNT,
    REGION,
    ROLE,
    download,
    expect_error,
    function_names,
    make_client,
    make_zip,
    sha256_b64,
    uniq,
)

TF_TIMEOUT = 300


def find_terraform() -> str | None:
    return shutil.which("terraform") or (
        "/usr/local/bin/terraform" if os.access("/usr/local/bin/terraform", os.X_OK) else None)


def find_provider_mirror() -> tuple[str, str] | None:
    """(mirror root, provider version) of a hashicorp/aws provider in an unpacked filesystem mirror."""
    bases = []
    if os.environ.get("TF_PROVIDER_MIRROR"):
        bases.append(os.environ["TF_PROVIDER_MIRROR"])
    bases += ["/opt", "/usr/local", "/root", "/root/.terraform.d/plugins", "/usr/local/share/terraform/plugins",
              os.path.expanduser("~/.terraform.d/plugins")]
    for base in bases:
        for depth in range(0, 5):
            pattern = os.path.join(base, *(["*"] * depth), "registry.terraform.io", "hashicorp", "aws",
                                   "*", "linux_amd64", "terraform-provider-aws*")
            hits = sorted(glob.glob(pattern))
            for hit in hits:
                if os.access(hit, os.X_OK):
                    p = Path(hit)
                    version = p.parent.parent.name
                    root = p.parents[5]  # …/<root>/registry.terraform.io/hashicorp/aws/<v>/<os_arch>/binary
                    return str(root), version
    return None


MAIN_TF = """
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "= %(version)s"
    }
  }
}

provider "aws" {
  region                      = "%(region)s"
  access_key                  = "%(access_key)s"
  secret_key                  = "%(secret_key)s"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {
    lambda = "%(endpoint)s"
  }
}

variable "memory" {
  type    = number
  default = 128
}

variable "stage" {
  type    = string
  default = "one"
}

resource "aws_lambda_layer_version" "lib" {
  layer_name          = "%(name)s-lib"
  filename            = "${path.module}/layer.zip"
  source_code_hash    = filebase64sha256("${path.module}/layer.zip")
  compatible_runtimes = ["python3.11"]
  description         = "shared code"
}

resource "aws_lambda_function" "fn" {
  function_name    = "%(name)s"
  filename         = "${path.module}/fn.zip"
  source_code_hash = filebase64sha256("${path.module}/fn.zip")
  role             = "%(role)s"
  runtime          = "python3.11"
  handler          = "app.handler"
  memory_size      = var.memory
  timeout          = 10
  publish          = true
  layers           = [aws_lambda_layer_version.lib.arn]

  environment {
    variables = {
      STAGE = var.stage
      FIXED = "yes"
    }
  }

  tags = {
    managed-by = "terraform"
  }
}

resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = aws_lambda_function.fn.function_name
  function_version = aws_lambda_function.fn.version
  description      = "current"
}

output "function_arn" {
  value = aws_lambda_function.fn.arn
}

output "version" {
  value = aws_lambda_function.fn.version
}
"""


class Terraform:
    def __init__(self, exe: str, workdir: Path, env: dict):
        self.exe = exe
        self.workdir = workdir
        self.env = env
        self.log: list[str] = []

    def run(self, *args, ok_codes=(0,)) -> subprocess.CompletedProcess:
        p = subprocess.run([self.exe, *args], cwd=self.workdir, env=self.env, capture_output=True,
                           text=True, timeout=TF_TIMEOUT, stdin=subprocess.DEVNULL)
        self.log.append(f"$ terraform {' '.join(args)}  -> exit {p.returncode}\n{p.stdout}\n{p.stderr}")
        if p.returncode not in ok_codes:
            pytest.fail(f"terraform {' '.join(args)} exited {p.returncode}\n--- stdout\n{p.stdout[-20000:]}\n"
                        f"--- stderr\n{p.stderr[-20000:]}")
        return p


@pytest.fixture
def terraform(server, tmp_path):
    exe = find_terraform()
    if not exe:
        pytest.skip("terraform is not installed")
    mirror = find_provider_mirror()
    if not mirror:
        pytest.skip("no hashicorp/aws provider found in a filesystem mirror under /opt, /usr/local or /root")
    root, version = mirror
    cli_cfg = tmp_path / "terraformrc"
    cli_cfg.write_text(
        'provider_installation {\n'
        f'  filesystem_mirror {{\n    path    = "{root}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }}\n'
        '}\n')
    work = tmp_path / "tf"
    work.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env.update(
        HOME=str(home),
        TF_CLI_CONFIG_FILE=str(cli_cfg),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(home / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "aws-credentials"),
        AWS_MAX_ATTEMPTS="2",
    )
    tf = Terraform(exe, work, env)
    tf.version = version
    yield tf
    # Best-effort cleanup if the test failed half-way.
    if (work / "terraform.tfstate").exists():
        subprocess.run([exe, "destroy", "-auto-approve", "-no-color"], cwd=work, env=env,
                       capture_output=True, timeout=TF_TIMEOUT, stdin=subprocess.DEVNULL)


def test_terraform_apply_update_plan_destroy(terraform, server):
    c = make_client(server)
    name = uniq("tf")
    work = terraform.workdir
    fn_zip = make_zip({"app.py": "def handler(event, context):\n    return {'ok': True}\n"})
    layer_zip = make_zip({"python/shared.py": "VALUE = 42\n"})
    (work / "fn.zip").write_bytes(fn_zip)
    (work / "layer.zip").write_bytes(layer_zip)
    (work / "main.tf").write_text(MAIN_TF % dict(
        version=terraform.version, region=REGION, access_key=server.access_key, secret_key=server.secret_key,
        endpoint=server.endpoint, name=name, role=ROLE))

    terraform.run("init", "-no-color", "-input=false")
    terraform.run("apply", "-auto-approve", "-no-color", "-input=false")

    full = c.get_function(FunctionName=name)
    cfg = full["Configuration"]
    assert cfg["FunctionArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    assert cfg["MemorySize"] == 128
    assert cfg["Timeout"] == 10
    assert cfg["Runtime"] == "python3.11"
    assert cfg["Handler"] == "app.handler"
    assert cfg["Role"] == ROLE
    assert cfg["Environment"]["Variables"] == {"STAGE": "one", "FIXED": "yes"}
    assert cfg["CodeSha256"] == sha256_b64(fn_zip)
    assert download(full["Code"]["Location"]) == fn_zip
    layer_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}-lib:1"
    assert [l["Arn"] for l in cfg["Layers"]] == [layer_arn]
    assert full["Tags"] == {"managed-by": "terraform"}
    assert [v["Version"] for v in c.list_versions_by_function(FunctionName=name)["Versions"]] == ["$LATEST", "1"]
    assert c.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "1"
    assert c.get_layer_version_by_arn(Arn=layer_arn)["Content"]["CodeSha256"] == sha256_b64(layer_zip)

    # Nothing to do right after apply.
    terraform.run("plan", "-detailed-exitcode", "-no-color", "-input=false")

    # Change memory and environment.
    terraform.run("apply", "-auto-approve", "-no-color", "-input=false", "-var", "memory=256", "-var", "stage=two")
    cfg = c.get_function_configuration(FunctionName=name)
    assert cfg["MemorySize"] == 256
    assert cfg["Environment"]["Variables"] == {"STAGE": "two", "FIXED": "yes"}
    assert cfg["CodeSha256"] == sha256_b64(fn_zip)
    assert [v["Version"] for v in c.list_versions_by_function(FunctionName=name)["Versions"]] == ["$LATEST", "1", "2"]
    assert c.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "2"
    assert c.get_function_configuration(FunctionName=name, Qualifier="1")["MemorySize"] == 128

    # No drift: exit code 0 (2 would mean changes, 1 an error).
    p = terraform.run("plan", "-detailed-exitcode", "-no-color", "-input=false", "-var", "memory=256",
                      "-var", "stage=two", ok_codes=(0, 1, 2))
    assert p.returncode == 0, f"terraform plan shows drift or failed (exit {p.returncode}):\n{p.stdout}\n{p.stderr}"

    terraform.run("destroy", "-auto-approve", "-no-color", "-input=false", "-var", "memory=256", "-var", "stage=two")
    with expect_error(404, "ResourceNotFoundException"):
        c.get_function(FunctionName=name)
    with expect_error(404, "ResourceNotFoundException"):
        c.get_layer_version_by_arn(Arn=layer_arn)
    assert name not in function_names(c)


PROVISIONED_TF = MAIN_TF.split('variable "memory"')[0] + """
resource "aws_lambda_function" "fn" {
  function_name    = "%(name)s"
  filename         = "${path.module}/fn.zip"
  source_code_hash = filebase64sha256("${path.module}/fn.zip")
  role             = "%(role)s"
  runtime          = "python3.11"
  handler          = "app.handler"
  timeout          = 10
  publish          = true
}

resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = aws_lambda_function.fn.function_name
  function_version = aws_lambda_function.fn.version
}

resource "aws_lambda_provisioned_concurrency_config" "warm" {
  function_name                     = aws_lambda_alias.live.function_name
  qualifier                         = aws_lambda_alias.live.name
  provisioned_concurrent_executions = %(count)d
}
"""


def test_terraform_provisioned_concurrency_config(terraform, server):
    c = make_client(server)
    name = uniq("tfpc")
    work = terraform.workdir
    code = "import os\n\ndef handler(event, context):\n    return os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']\n"
    (work / "fn.zip").write_bytes(make_zip({"app.py": code}))

    def write(count: int) -> None:
        (work / "main.tf").write_text(PROVISIONED_TF % dict(
            version=terraform.version, region=REGION, access_key=server.access_key,
            secret_key=server.secret_key, endpoint=server.endpoint, name=name, role=ROLE, count=count))

    write(1)
    terraform.run("init", "-no-color", "-input=false")
    terraform.run("apply", "-auto-approve", "-no-color", "-input=false")
    cfg = c.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    assert cfg["Status"] == "READY", cfg  # the provider waits for READY
    assert cfg["AllocatedProvisionedConcurrentExecutions"] == 1
    resp = c.invoke(FunctionName=name, Qualifier="live")
    assert resp["Payload"].read() == b'"provisioned-concurrency"'

    p = terraform.run("plan", "-detailed-exitcode", "-no-color", "-input=false", ok_codes=(0, 1, 2))
    assert p.returncode == 0, f"terraform plan shows drift or failed (exit {p.returncode}):\n{p.stdout}\n{p.stderr}"

    write(2)
    terraform.run("apply", "-auto-approve", "-no-color", "-input=false")
    cfg = c.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    assert (cfg["Status"], cfg["RequestedProvisionedConcurrentExecutions"]) == ("READY", 2), cfg

    terraform.run("destroy", "-auto-approve", "-no-color", "-input=false")
    with expect_error(404, "ResourceNotFoundException"):
        c.get_function(FunctionName=name)


EVENT_INVOKE_TF = MAIN_TF.split('variable "memory"')[0] + """
resource "aws_lambda_function" "sink" {
  function_name    = "%(name)s-sink"
  filename         = "${path.module}/fn.zip"
  source_code_hash = filebase64sha256("${path.module}/fn.zip")
  role             = "%(role)s"
  runtime          = "python3.11"
  handler          = "app.handler"
}

resource "aws_lambda_function" "fn" {
  function_name    = "%(name)s"
  filename         = "${path.module}/fn.zip"
  source_code_hash = filebase64sha256("${path.module}/fn.zip")
  role             = "%(role)s"
  runtime          = "python3.11"
  handler          = "app.handler"
  dead_letter_config {
    target_arn = aws_lambda_function.sink.arn
  }
}

resource "aws_lambda_function_event_invoke_config" "async" {
  function_name                = aws_lambda_function.fn.function_name
  maximum_retry_attempts       = %(retries)d
  maximum_event_age_in_seconds = 600
  destination_config {
    on_success {
      destination = aws_lambda_function.sink.arn
    }
    on_failure {
      destination = aws_lambda_function.sink.arn
    }
  }
}
"""


def test_terraform_function_event_invoke_config(terraform, server):
    c = make_client(server)
    name = uniq("tfeic")
    work = terraform.workdir
    (work / "fn.zip").write_bytes(make_zip({"app.py": "def handler(event, context):\n    return event\n"}))

    def write(retries: int) -> None:
        (work / "main.tf").write_text(EVENT_INVOKE_TF % dict(
            version=terraform.version, region=REGION, access_key=server.access_key,
            secret_key=server.secret_key, endpoint=server.endpoint, name=name, role=ROLE,
            retries=retries))

    write(1)
    terraform.run("init", "-no-color", "-input=false")
    terraform.run("apply", "-auto-approve", "-no-color", "-input=false")
    sink_arn = c.get_function(FunctionName=f"{name}-sink")["Configuration"]["FunctionArn"]
    cfg = c.get_function_event_invoke_config(FunctionName=name)
    assert cfg["MaximumRetryAttempts"] == 1 and cfg["MaximumEventAgeInSeconds"] == 600, cfg
    assert cfg["DestinationConfig"] == {"OnSuccess": {"Destination": sink_arn},
                                        "OnFailure": {"Destination": sink_arn}}, cfg
    assert c.get_function_configuration(FunctionName=name)["DeadLetterConfig"] == {"TargetArn": sink_arn}

    p = terraform.run("plan", "-detailed-exitcode", "-no-color", "-input=false", ok_codes=(0, 1, 2))
    assert p.returncode == 0, f"terraform plan shows drift or failed (exit {p.returncode}):\n{p.stdout}\n{p.stderr}"

    write(0)
    terraform.run("apply", "-auto-approve", "-no-color", "-input=false")
    assert c.get_function_event_invoke_config(FunctionName=name)["MaximumRetryAttempts"] == 0

    terraform.run("destroy", "-auto-approve", "-no-color", "-input=false")
    with expect_error(404, "ResourceNotFoundException"):
        c.get_function(FunctionName=name)
    with expect_error(404, "ResourceNotFoundException"):
        c.get_function(FunctionName=f"{name}-sink")
