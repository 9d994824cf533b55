"""Stratus runtime for Python Lambda functions.

Started by ``python3.X -S /var/runtime/python/bootstrap.py [handler]``, which imports this
module (so that its compiled form, made when the server installs the runtime, is used
instead of compiling this file on every cold start). Standard library only.
It loads the handler named by ``_HANDLER`` (``module.function``; the module may be a
dotted or slash-separated path under the task root), then loops on the Lambda Runtime
API (2018-06-01) at ``$AWS_LAMBDA_RUNTIME_API``: fetch the next event, call the handler
with the event and a context object, post the result or the error.

``$LAMBDA_TASK_ROOT`` (default /var/task) and ``$LAMBDA_RUNTIME_DIR`` (default
/var/runtime) locate the function code and this runtime.
"""

import importlib
import importlib.machinery
import json
import os
import socket
import sys
import time

TASK_ROOT = os.environ.get("LAMBDA_TASK_ROOT") or "/var/task"
RUNTIME_DIR = os.environ.get("LAMBDA_RUNTIME_DIR") or "/var/runtime"
API_BASE = "/2018-06-01/runtime"
THIS_FILE = os.path.abspath(__file__)
# The entry script, whose frame sits under every traceback too.
ENTRY_FILE = os.path.join(os.path.dirname(THIS_FILE), "bootstrap.py")
IMPORTLIB_DIR = os.path.dirname(os.path.abspath(importlib.__file__)) + os.sep
LOG_FORMAT = (os.environ.get("AWS_LAMBDA_LOG_FORMAT") or "TEXT").upper()

# Lambda's log level names mapped onto the logging module's numeric levels.
LEVELS = {
    "TRACE": 10,
    "DEBUG": 10,
    "INFO": 20,
    "WARN": 30,
    "WARNING": 30,
    "ERROR": 40,
    "FATAL": 50,
    "CRITICAL": 50,
}

# Request id of the invocation in progress, for log records.
current_request_id = None
current_tenant_id = None


class Fault(Exception):
    """A failure the runtime itself classifies (errorType given by Lambda's catalogue)."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


# --- output -------------------------------------------------------------------------


class FlushingStream:
    """Wraps a text stream so every write reaches the file descriptor at once."""

    def __init__(self, stream):
        self._stream = stream

    def __getattr__(self, name):
        return getattr(self._stream, name)

    def write(self, text):
        written = self._stream.write(text)
        self._stream.flush()
        return written

    def writelines(self, lines):
        self._stream.writelines(lines)
        self._stream.flush()


def configure_logging(logging):
    """Gives the root logger Lambda's handler: one formatted record per line on stdout,
    with the request id, in Lambda's TEXT or JSON application log format."""

    class StdoutHandler(logging.Handler):
        def emit(self, record):
            try:
                sys.stdout.write(self.format(record) + "\n")
            except Exception:  # noqa: BLE001 - logging must never break the handler
                self.handleError(record)

    class RequestIdFilter(logging.Filter):
        def filter(self, record):
            record.aws_request_id = current_request_id or ""
            record.tenant_id = current_tenant_id
            return True

    class JsonFormatter(logging.Formatter):
        def format(self, record):
            import traceback

            out = {
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
                "level": "WARN" if record.levelname == "WARNING" else record.levelname,
                "message": record.getMessage(),
                "logger": record.name,
                "requestId": getattr(record, "aws_request_id", "") or None,
            }
            if record.exc_info and record.exc_info[0] is not None:
                etype, value, tb = record.exc_info
                out["errorType"] = etype.__name__
                out["errorMessage"] = str(value)
                out["stackTrace"] = traceback.format_list(traceback.extract_tb(tb))
            out = {k: v for k, v in out.items() if v is not None}
            return json.dumps(out, default=str)

    logging.Formatter.converter = time.gmtime
    handler = StdoutHandler()
    if LOG_FORMAT == "JSON":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(
                "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
                "%Y-%m-%dT%H:%M:%S",
            )
        )
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    # Like Lambda: the root level is only set when a log level is configured;
    # otherwise Python's default (WARNING) applies.
    level = LEVELS.get((os.environ.get("AWS_LAMBDA_LOG_LEVEL") or "").upper())
    if level is not None:
        root.setLevel(level)


class _ConfiguringLoader:
    """Runs `logging`'s own loader, then configures it (see LoggingImportHook)."""

    def __init__(self, loader):
        self._loader = loader

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        configure_logging(module)


class LoggingImportHook:
    """Configures the root logger the first time anything imports `logging`.

    Importing `logging` costs about 10 ms of every cold start, and most handlers never
    use it; those that do find it configured as on Lambda, even at import time."""

    def find_spec(self, name, path=None, target=None):
        if name != "logging":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _ConfiguringLoader(spec.loader)
        return spec


def setup_output():
    sys.stdout = FlushingStream(sys.stdout)
    sys.stderr = FlushingStream(sys.stderr)
    if "logging" in sys.modules:
        configure_logging(sys.modules["logging"])
    else:
        sys.meta_path.insert(0, LoggingImportHook())


def log_error(error):
    """Writes an uncaught error to the function log the way Lambda's runtime does."""
    if LOG_FORMAT == "JSON":
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        sys.stdout.write(json.dumps({"timestamp": stamp, "level": "ERROR", **error}) + "\n")
        return
    head = "[ERROR]"
    if error.get("errorType"):
        head += " " + error["errorType"]
    if error.get("errorMessage"):
        head += (":" if error.get("errorType") else "") + " " + error["errorMessage"]
    lines = [head, "Traceback (most recent call last):"]
    for entry in error.get("stackTrace") or []:
        for line in entry.splitlines():
            stripped = line.lstrip(" ")
            # Leading spaces become no-break spaces so log viewers keep the indent.
            lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    # One log event: lines joined with carriage returns, as Lambda does.
    sys.stdout.write("\r".join(lines) + "\n")


# --- Runtime API client -------------------------------------------------------------


class RuntimeClient:
    """Keep-alive HTTP/1.1 client for the Runtime API, on a plain socket.

    http.client would import the email and ssl packages: about 30 ms of every cold start.
    The Runtime API is one loopback peer speaking plain HTTP/1.1, so a socket suffices.
    The warm path is kept short: the `/next` request is built once, a response is read
    with as few `recv` calls as the peer's writes allow and its header block parsed in one
    pass, and a body goes out beside its header block (`sendmsg`), never joined to it.
    Response headers come back as a dict keyed by lower-cased name.
    """

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self._host = host or address
        self._port = int(port) if port else 80
        self._sock = None
        self._buffer = b""  # received, not yet consumed
        host = "Host: %s:%d\r\n" % (self._host, self._port)
        self._next_request = ("GET %s/invocation/next HTTP/1.1\r\n%s\r\n" % (API_BASE, host)).encode()
        # %-templates of the POST header blocks: path (or request id), extra header lines,
        # content length.
        post = "POST " + API_BASE + "%s HTTP/1.1\r\n" + host.replace("%", "%%")
        length = "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        self._post_head = post + "%s" + length
        self._response_head = post.replace("%s", "/invocation/%s/response", 1) + length

    def _close(self):
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        self._sock = None
        self._buffer = b""

    def _receive(self):
        chunk = self._sock.recv(65536)
        if not chunk:
            raise ConnectionError("Runtime API closed the connection")
        self._buffer += chunk

    def _read_exact(self, size):
        """The next `size` bytes, received straight into their final buffer when large."""
        buffer = self._buffer
        if len(buffer) >= size:
            self._buffer = buffer[size:]
            return buffer if len(buffer) == size else buffer[:size]
        data = bytearray(size)
        view = memoryview(data)
        view[: len(buffer)] = buffer
        got = len(buffer)
        self._buffer = b""
        while got < size:
            n = self._sock.recv_into(view[got:])
            if not n:
                raise ConnectionError("Runtime API closed the connection")
            got += n
        return data

    def _read_line(self):
        while True:
            end = self._buffer.find(b"\r\n")
            if end >= 0:
                line = self._buffer[:end]
                self._buffer = self._buffer[end + 2 :]
                return line
            self._receive()

    def _read_chunked(self):
        parts = []
        while True:
            size = int(self._read_line().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self._read_line():  # trailers, up to the blank line
                    pass
                return b"".join(parts)
            parts.append(self._read_exact(size))
            self._read_line()

    def _read_response(self):
        start = 0
        while True:
            end = self._buffer.find(b"\r\n\r\n", start)
            if end >= 0:
                break
            start = max(len(self._buffer) - 3, 0)
            self._receive()
        lines = self._buffer[:end].decode("utf-8", "replace").split("\r\n")
        self._buffer = self._buffer[end + 4 :]
        status = int(lines[0].split(None, 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            data = self._read_chunked()
        else:
            data = self._read_exact(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self._close()
        return status, headers, data

    def _send(self, head, body):
        sock = self._sock
        if not body:
            sock.sendall(head)
            return
        sent = sock.sendmsg((head, body))
        if sent < len(head) + len(body):  # a large body: the rest as the socket drains
            if sent < len(head):
                sock.sendall(memoryview(head)[sent:])
                sent = 0
            else:
                sent -= len(head)
            sock.sendall(memoryview(body)[sent:])

    def _exchange(self, head, body=None):
        for attempt in (0, 1):
            try:
                if self._sock is None:
                    self._sock = socket.create_connection((self._host, self._port))
                    self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._send(head, body)
                return self._read_response()
            except (OSError, ValueError, IndexError):
                # A kept-alive connection the server closed: reconnect once.
                self._close()
                if attempt == 1:
                    raise
        raise RuntimeError("unreachable")

    def next(self):
        status, headers, body = self._exchange(self._next_request)
        if status != 200:
            raise SystemExit("Runtime API /next answered %d: %r" % (status, body[:200]))
        return headers, body

    def _check(self, path, status, data):
        if status >= 500:
            raise SystemExit("Runtime API %s answered %d: %r" % (path, status, data[:200]))
        if status >= 300:
            sys.stderr.write("Runtime API %s answered %d: %s\n" % (path, status, data[:200]))

    def _post(self, path, body, error_type):
        extra = "Lambda-Runtime-Function-Error-Type: %s\r\n" % error_type
        head = (self._post_head % (path, extra, len(body))).encode("utf-8")
        status, _, data = self._exchange(head, body)
        self._check(path, status, data)

    def post_response(self, request_id, body):
        head = (self._response_head % (request_id, len(body))).encode("utf-8")
        status, _, data = self._exchange(head, body)
        if status >= 300:
            self._check("/invocation/%s/response" % request_id, status, data)

    def post_error(self, request_id, error, error_type="Unhandled"):
        body = json.dumps(error).encode("utf-8")
        self._post("/invocation/%s/error" % request_id, body, error_type)

    def post_init_error(self, error):
        body = json.dumps(error).encode("utf-8")
        self._post("/init/error", body, error["errorType"])


# --- context ------------------------------------------------------------------------


def _fill(obj, source, names):
    for name in names:
        setattr(obj, name, source.get(name) if isinstance(source, dict) else None)
    return obj


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, source=None):
        source = source or {}
        self.cognito_identity_id = source.get("cognitoIdentityId")
        self.cognito_identity_pool_id = source.get("cognitoIdentityPoolId")

    def __repr__(self):
        return "CognitoIdentity([cognito_identity_id=%s,cognito_identity_pool_id=%s])" % (
            self.cognito_identity_id,
            self.cognito_identity_pool_id,
        )


class Client:
    __slots__ = (
        "installation_id",
        "app_title",
        "app_version_name",
        "app_version_code",
        "app_package_name",
    )

    def __repr__(self):
        return "Client(%s)" % ", ".join("%s=%r" % (n, getattr(self, n)) for n in self.__slots__)


class ClientContext:
    __slots__ = ("custom", "env", "client")

    def __repr__(self):
        return "ClientContext(custom=%r, env=%r, client=%r)" % (self.custom, self.env, self.client)


W3C_FIELDS = ("traceparent", "tracestate", "baggage")

# The function's metadata, fixed for the life of the environment.
FUNCTION_NAME = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
FUNCTION_VERSION = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
# Lambda's Python runtime passes the environment string through unchanged.
MEMORY_LIMIT_IN_MB = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
LOG_GROUP_NAME = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
LOG_STREAM_NAME = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")


class LambdaContext:
    """The ``context`` argument: invocation and function metadata."""

    def __init__(self, request_id, deadline_ms, invoked_arn, client_context, identity, tenant_id):
        self.aws_request_id = request_id
        self.function_name = FUNCTION_NAME
        self.function_version = FUNCTION_VERSION
        self.invoked_function_arn = invoked_arn
        self.memory_limit_in_mb = MEMORY_LIMIT_IN_MB
        self.log_group_name = LOG_GROUP_NAME
        self.log_stream_name = LOG_STREAM_NAME
        self.tenant_id = tenant_id
        self._w3c = {}
        if isinstance(client_context, dict) and isinstance(client_context.get("w3c"), dict):
            raw = client_context.pop("w3c")
            self._w3c = {k: raw[k] for k in W3C_FIELDS if isinstance(raw.get(k), str)}
        self.identity = CognitoIdentity(identity if isinstance(identity, dict) else None)
        if client_context is None:
            self.client_context = None
        else:
            self.client_context = _fill(ClientContext(), client_context, ClientContext.__slots__)
            if self.client_context.client is not None:
                self.client_context.client = _fill(Client(), self.client_context.client, Client.__slots__)
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        left = self._deadline_ms - int(time.time() * 1000)
        return left if left > 0 else 0

    def w3c(self):
        return dict(self._w3c)

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        names = (
            "aws_request_id",
            "log_group_name",
            "log_stream_name",
            "function_name",
            "memory_limit_in_mb",
            "function_version",
            "invoked_function_arn",
            "client_context",
            "identity",
            "tenant_id",
        )
        return "LambdaContext([%s])" % ",".join("%s=%s" % (n, getattr(self, n)) for n in names)


# --- handler loading ----------------------------------------------------------------


def configure_sys_path():
    version = "python%d.%d" % sys.version_info[:2]
    first = [
        TASK_ROOT,
        "/opt/python",
        "/opt/python/lib/%s/site-packages" % version,
        RUNTIME_DIR,
    ]
    own_dir = os.path.dirname(THIS_FILE)
    rest = [p for p in sys.path if p and os.path.abspath(p) != own_dir]
    # The interpreter runs with -S (no site processing: the host's .pth files cost
    # milliseconds of every cold start); the host's site-packages stay importable, after
    # the stdlib, as the runtime's own packages are on Lambda.
    import site

    site.setquit()  # exit() and quit(), which -S leaves out
    rest += [d for d in site.getsitepackages() if os.path.isdir(d)]
    seen = set()
    ordered = []
    for entry in first + rest:
        if entry not in seen:
            seen.add(entry)
            ordered.append(entry)
    sys.path[:] = ordered


def user_frames(tb):
    """Traceback entries from the first frame outside this runtime and importlib."""
    import traceback  # only errors get here

    frames = traceback.extract_tb(tb)
    for index, frame in enumerate(frames):
        name = frame.filename
        if name not in (THIS_FILE, ENTRY_FILE) and not name.startswith(("<frozen ", IMPORTLIB_DIR)):
            return traceback.format_list(frames[index:])
    return []


def load_handler(spec):
    module_name, dot, function_name = spec.rpartition(".")
    if not dot or not module_name or not function_name:
        raise Fault(
            "Runtime.MalformedHandlerName",
            "Bad handler '%s': not enough values to unpack (expected 2, got 1)" % spec,
        )
    import_name = module_name.replace("/", ".")
    if import_name.split(".")[0] in sys.builtin_module_names:
        raise Fault(
            "Runtime.BuiltInModuleConflict",
            "Cannot use built-in module %s as a handler module" % module_name,
        )
    try:
        module = importlib.import_module(import_name)
    except ImportError as e:
        raise Fault(
            "Runtime.ImportModuleError",
            "Unable to import module '%s': %s" % (module_name, e),
        ) from e
    except SyntaxError as e:
        raise Fault(
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module '%s': %s" % (module_name, e),
            ['  File "%s" Line %s\n    %s\n' % (e.filename, e.lineno, (e.text or "").strip())],
        ) from e
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise Fault(
            "Runtime.HandlerNotFound",
            "Handler '%s' missing on module '%s'" % (function_name, module_name),
        ) from None


def error_body(error_type, message, trace, request_id):
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id or "",
        "stackTrace": trace or [],
    }


def describe_exception(request_id):
    etype, value, tb = sys.exc_info()
    if isinstance(value, Fault):
        return error_body(value.error_type, value.message, value.trace, request_id)
    return error_body(etype.__name__, str(value), user_frames(tb), request_id)


# --- invocation ---------------------------------------------------------------------


def _json_default(value):
    import decimal  # only results that json cannot encode get here

    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)


# One encoder for every result (json.dumps with `default` would build one per call).
_encode_result = json.JSONEncoder(default=_json_default).encode


def parse_header_json(headers, name, label):
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as e:
        raise Fault(
            "Runtime.LambdaContextUnmarshalError", "Unable to parse %s JSON: %s" % (label, e)
        ) from e


# The trace id is kept in os.environ's own mapping only (os.getenv and os.environb read
# it): assigning os.environ[...] would also putenv, and glibc keeps every distinct value
# ever set, so a new trace id per invoke would grow a warm process without bound. Child
# processes started with the inherited environment therefore do not see it.
_ENV_DATA = os.environ._data
_TRACE_KEY = os.environ.encodekey("_X_AMZN_TRACE_ID")
_encode_env_value = os.environ.encodevalue


def set_trace_id(trace_id):
    if trace_id:
        _ENV_DATA[_TRACE_KEY] = _encode_env_value(trace_id)
    else:
        _ENV_DATA.pop(_TRACE_KEY, None)


def invoke_once(client, handler, headers, body):
    global current_request_id, current_tenant_id
    request_id = headers.get("lambda-runtime-aws-request-id") or ""
    current_request_id = request_id
    current_tenant_id = headers.get("lambda-runtime-aws-tenant-id")
    set_trace_id(headers.get("lambda-runtime-trace-id"))
    try:
        try:
            event = json.loads(body) if body else {}
        except ValueError as e:
            raise Fault("Runtime.UnmarshalError", "Unable to unmarshal input: %s" % e) from e
        context = LambdaContext(
            request_id,
            int(headers.get("lambda-runtime-deadline-ms") or 0),
            headers.get("lambda-runtime-invoked-function-arn"),
            parse_header_json(headers, "lambda-runtime-client-context", "Client Context"),
            parse_header_json(headers, "lambda-runtime-cognito-identity", "Cognito Identity"),
            current_tenant_id,
        )
        result = handler(event, context)
        try:
            payload = _encode_result(result).encode("utf-8")
        except (TypeError, ValueError, OverflowError, RecursionError) as e:
            raise Fault("Runtime.MarshalError", "Unable to marshal response: %s" % e) from e
    except Exception:  # noqa: BLE001 - every user failure is reported, never fatal
        error = describe_exception(request_id)
        log_error(error)
        client.post_error(request_id, error)
        return
    client.post_response(request_id, payload)


def main():
    setup_output()
    client = RuntimeClient(os.environ.get("AWS_LAMBDA_RUNTIME_API") or "127.0.0.1:9001")
    spec = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("_HANDLER", "")
    configure_sys_path()
    try:
        handler = load_handler(spec)
    except Exception:  # noqa: BLE001 - any init failure is reported to the platform
        error = describe_exception(None)
        log_error(error)
        client.post_init_error(error)
        sys.exit(1)
    while True:
        headers, body = client.next()
        invoke_once(client, handler, headers, body)


if __name__ == "__main__":
    main()
