// Stratus runtime for Node.js Lambda functions.
//
// Run as `node /var/runtime/node/bootstrap.js [handler]`. Built-in modules only.
// Loads the handler named by `_HANDLER` (`file.export`, `dir/file.export`; the file is
// resolved under the task root with .js, .mjs or .cjs, ES modules through import() and
// CommonJS through require), then loops on the Lambda Runtime API (2018-06-01) at
// `$AWS_LAMBDA_RUNTIME_API`. Handlers may return a promise or use `callback(err, result)`.
// `$LAMBDA_TASK_ROOT` (default /var/task) locates the function code.
'use strict';

const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const util = require('node:util');
const { pathToFileURL } = require('node:url');

const TASK_ROOT = process.env.LAMBDA_TASK_ROOT || '/var/task';
const API_BASE = '/2018-06-01/runtime';
const EXIT_ON_UNCAUGHT = 129;

// ---------------------------------------------------------------------------------
// Runtime API client: HTTP/1.1 on one kept-alive socket, one request at a time.
//
// node:http costs tens of microseconds per request (request, response and parser objects,
// agent bookkeeping); the Runtime API is one loopback peer, so a plain socket suffices.
// The `/next` request is built once, a response is parsed straight from the received
// buffers, and between requests the socket does not keep the event loop alive (as an idle
// keep-alive socket of node:http does not), so `beforeExit` still means the handler's own
// work is done.

const apiAddress = process.env.AWS_LAMBDA_RUNTIME_API || '127.0.0.1:9001';
const apiColon = apiAddress.lastIndexOf(':');
const apiHost = apiColon > 0 ? apiAddress.slice(0, apiColon) : apiAddress;
const apiPort = apiColon > 0 ? Number(apiAddress.slice(apiColon + 1)) : 80;
const HOST_LINE = `Host: ${apiHost}:${apiPort}\r\n`;
const NEXT_REQUEST = Buffer.from(`GET ${API_BASE}/invocation/next HTTP/1.1\r\n${HOST_LINE}\r\n`, 'latin1');
const RESPONSE_PATH = `POST ${API_BASE}/invocation/`;
const POST_HEADERS = ` HTTP/1.1\r\n${HOST_LINE}Content-Type: application/json\r\n`;
// Bodies up to this many characters go out joined to their header block in one write.
const JOIN_BELOW = 16 * 1024;

let socket = null;
let pending = null; // { resolve, reject } of the request in flight
const waiting = []; // requests made while one was in flight (only when failing)
let received = []; // buffers received and not yet consumed
let receivedLength = 0;
let head = null; // { status, headers, length } once the response's header block is in

function connect() {
  const s = net.connect({ host: apiHost, port: apiPort });
  s.setNoDelay(true);
  s.on('data', (chunk) => {
    if (s === socket) onData(chunk);
  });
  const gone = (err) => {
    if (s !== socket) return;
    socket = null;
    fail(err || new Error('Runtime API closed the connection'));
  };
  s.on('error', gone);
  s.on('close', () => gone(null));
  socket = s;
}

function fail(err) {
  received = [];
  receivedLength = 0;
  head = null;
  if (pending) {
    const { reject } = pending;
    pending = null;
    reject(err);
    sendWaiting();
  }
}

function sendWaiting() {
  if (waiting.length > 0) {
    const { requestHead, body, resolve, reject } = waiting.shift();
    send(requestHead, body, resolve, reject);
  }
}

function takeReceived() {
  const data = received.length === 1 ? received[0] : Buffer.concat(received, receivedLength);
  received = [];
  receivedLength = 0;
  return data;
}

function keep(data) {
  if (data.length > 0) {
    received.push(data);
    receivedLength += data.length;
  }
}

function parseHead(text) {
  const lines = text.split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  if (!Number.isInteger(status)) throw new Error(`Runtime API sent a bad status line: ${lines[0]}`);
  const headers = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const chunked = /\bchunked\b/i.test(headers['transfer-encoding'] || '');
  return { status, headers, chunked, length: chunked ? 0 : Number(headers['content-length'] || 0) };
}

// A complete chunked body at the start of `data`: [body, bytes used], else null.
function parseChunked(data) {
  const parts = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) return null;
    const size = parseInt(data.toString('latin1', at, eol).split(';')[0].trim() || '0', 16);
    if (Number.isNaN(size)) throw new Error('Runtime API sent a bad chunk size');
    if (size === 0) {
      // Trailer lines, if any, then the blank line.
      const end = data.indexOf('\r\n\r\n', eol);
      return end < 0 ? null : [Buffer.concat(parts), end + 4];
    }
    if (data.length < eol + 2 + size + 2) return null;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

function onData(chunk) {
  keep(chunk);
  if (pending === null) return;
  try {
    if (head === null) {
      const data = takeReceived();
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) {
        keep(data);
        return;
      }
      head = parseHead(data.toString('latin1', 0, end));
      keep(data.subarray(end + 4));
    }
    let body;
    if (head.chunked) {
      const data = takeReceived();
      const parsed = parseChunked(data);
      if (parsed === null) {
        keep(data);
        return;
      }
      body = parsed[0];
      keep(data.subarray(parsed[1]));
    } else {
      if (receivedLength < head.length) return;
      const data = takeReceived();
      body = data.length === head.length ? data : data.subarray(0, head.length);
      keep(data.subarray(head.length));
    }
    const { status, headers } = head;
    const { resolve } = pending;
    head = null;
    pending = null;
    if ((headers.connection || '').toLowerCase() === 'close') {
      const s = socket;
      socket = null;
      s.destroy();
    } else {
      socket.unref();
    }
    resolve({ status, headers, body });
    sendWaiting();
  } catch (err) {
    const s = socket;
    socket = null;
    s.destroy();
    fail(err);
  }
}

// Sends a header block (and a body string) and resolves with the response.
function apiRequest(requestHead, body) {
  return new Promise((resolve, reject) => {
    if (pending === null) send(requestHead, body, resolve, reject);
    else waiting.push({ requestHead, body, resolve, reject });
  });
}

function send(requestHead, body, resolve, reject) {
  if (socket === null) connect();
  pending = { resolve, reject };
  socket.ref();
  if (body === undefined) {
    socket.write(requestHead);
  } else if (body.length < JOIN_BELOW) {
    socket.write(requestHead + body);
  } else {
    socket.cork();
    socket.write(requestHead);
    socket.write(body);
    socket.uncork();
  }
}

async function nextInvocation() {
  const res = await apiRequest(NEXT_REQUEST);
  if (res.status !== 200) {
    throw new Error(`Runtime API /next answered ${res.status}: ${res.body.toString()}`);
  }
  return res;
}

async function post(urlPath, requestHead, body) {
  const res = await apiRequest(requestHead, body);
  if (res.status >= 500) {
    process.stderr.write(`Runtime API ${urlPath} answered ${res.status}\n`);
    process.exit(1);
  }
  return res;
}

function postHead(pathAndVersion, extra, body) {
  return `${pathAndVersion}${POST_HEADERS}${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
}

function postResponse(id, body) {
  return post(`/invocation/${id}/response`, postHead(`${RESPONSE_PATH}${id}/response`, '', body), body);
}

function postFailure(urlPath, body, errorType) {
  const extra = `Lambda-Runtime-Function-Error-Type: ${errorType}\r\n`;
  return post(urlPath, postHead(`POST ${API_BASE}${urlPath}`, extra, body), body);
}

function postError(id, error) {
  return postFailure(`/invocation/${id}/error`, safeStringify(error), 'Unhandled');
}

function postInitError(error) {
  return postFailure('/init/error', safeStringify(error), error.errorType);
}

// ---------------------------------------------------------------------------------
// Logging: console methods write Lambda's `<time>\t<requestId>\t<LEVEL>\t<message>`.

let currentRequestId; // undefined during init, as in Lambda's logs

function patchConsole() {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
  for (const [method, level] of Object.entries(levels)) {
    console[method] = (...args) => {
      const line = `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${util.format(...args)}`;
      // Carriage returns keep a multi-line message in one log event.
      process.stdout.write(line.replace(/\n/g, '\r') + '\n');
    };
  }
}

// ---------------------------------------------------------------------------------
// Errors.

function safeStringify(value) {
  try {
    return JSON.stringify(value);
  } catch (_e) {
    return JSON.stringify({ errorType: 'Runtime.MarshalError', errorMessage: 'Unable to stringify error' });
  }
}

function errorBody(err) {
  if (err instanceof Error || (err && typeof err === 'object' && 'stack' in err && 'message' in err)) {
    const trace = typeof err.stack === 'string' ? err.stack.split('\n') : [];
    return { errorType: String(err.name), errorMessage: String(err.message), trace, stackTrace: trace };
  }
  return { errorType: typeof err, errorMessage: String(err), trace: [], stackTrace: [] };
}

// A failure the runtime classifies itself; `name` is Lambda's errorType.
class Fault extends Error {
  constructor(errorType, message) {
    super(message);
    this.name = errorType;
  }

  withStack(cause) {
    if (cause && typeof cause.stack === 'string') this.stack = cause.stack;
    return this;
  }
}

// ---------------------------------------------------------------------------------
// Handler loading.

function isModuleType(file) {
  let dir = path.dirname(file);
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        return JSON.parse(fs.readFileSync(manifest, 'utf8')).type === 'module';
      } catch (_e) {
        return false;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

async function importFile(file) {
  return import(pathToFileURL(file).href);
}

async function loadModule(moduleName) {
  const base = path.resolve(TASK_ROOT, moduleName);
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const file = base + ext;
    if (!fs.existsSync(file)) continue;
    if (ext === '.mjs' || (ext === '.js' && isModuleType(file))) return importFile(file);
    try {
      return require(file);
    } catch (e) {
      if (e && e.code === 'ERR_REQUIRE_ESM') return importFile(file);
      throw e;
    }
  }
  // Not a file under the task root: a package on the module search path.
  const resolved = require.resolve(moduleName, { paths: [TASK_ROOT] });
  try {
    return require(resolved);
  } catch (e) {
    if (e && e.code === 'ERR_REQUIRE_ESM') return importFile(resolved);
    throw e;
  }
}

async function loadHandler(spec) {
  const slash = spec.lastIndexOf('/');
  const dir = spec.slice(0, slash + 1);
  const tail = spec.slice(slash + 1);
  const dot = tail.indexOf('.');
  if (dot <= 0 || dot === tail.length - 1) {
    throw new Fault('Runtime.MalformedHandlerName', `Bad handler ${spec}`);
  }
  if (dir.split('/').includes('..')) {
    throw new Fault('Runtime.MalformedHandlerName', "'..' is not allowed in handler name");
  }
  const moduleName = dir + tail.slice(0, dot);
  const exportPath = tail.slice(dot + 1);
  let mod;
  try {
    mod = await loadModule(moduleName);
  } catch (e) {
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) {
      throw new Fault('Runtime.ImportModuleError', String(e)).withStack(e);
    }
    if (e instanceof SyntaxError) {
      throw new Fault('Runtime.UserCodeSyntaxError', String(e)).withStack(e);
    }
    throw e;
  }
  let fn = mod;
  for (const key of exportPath.split('.')) {
    fn = fn === undefined || fn === null ? undefined : fn[key];
  }
  if (fn === undefined) {
    throw new Fault('Runtime.HandlerNotFound', `${spec} is undefined or not exported`);
  }
  if (typeof fn !== 'function') {
    throw new Fault('Runtime.HandlerNotFound', `${spec} is not a function`);
  }
  return fn;
}

// ---------------------------------------------------------------------------------
// Context.

function parseHeaderJson(value) {
  if (!value) return undefined;
  try {
    return JSON.parse(value);
  } catch (_e) {
    return undefined;
  }
}

// The function's metadata, fixed for the life of the environment.
const FUNCTION_NAME = process.env.AWS_LAMBDA_FUNCTION_NAME;
const FUNCTION_VERSION = process.env.AWS_LAMBDA_FUNCTION_VERSION;
const MEMORY_LIMIT_IN_MB = process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE;
const LOG_GROUP_NAME = process.env.AWS_LAMBDA_LOG_GROUP_NAME;
const LOG_STREAM_NAME = process.env.AWS_LAMBDA_LOG_STREAM_NAME;

function makeContext(headers, settle) {
  const deadline = Number(headers['lambda-runtime-deadline-ms'] || 0);
  const cognito = parseHeaderJson(headers['lambda-runtime-cognito-identity']);
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: FUNCTION_NAME,
    functionVersion: FUNCTION_VERSION,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: MEMORY_LIMIT_IN_MB,
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    logGroupName: LOG_GROUP_NAME,
    logStreamName: LOG_STREAM_NAME,
    identity: cognito
      ? { cognitoIdentityId: cognito.cognitoIdentityId, cognitoIdentityPoolId: cognito.cognitoIdentityPoolId }
      : undefined,
    clientContext: parseHeaderJson(headers['lambda-runtime-client-context']),
    tenantId: headers['lambda-runtime-aws-tenant-id'],
    getRemainingTimeInMillis() {
      return Math.max(deadline - Date.now(), 0);
    },
    // Legacy completion methods: answer at once, without waiting for the event loop.
    done(err, result) {
      settle(err, result, false);
    },
    succeed(result) {
      settle(null, result, false);
    },
    fail(err) {
      settle(err === undefined || err === null ? 'handled' : err, undefined, false);
    },
  };
  return context;
}

// ---------------------------------------------------------------------------------
// Environment.
//
// Writing to the real process.env calls setenv, and glibc keeps every distinct value ever
// set for the life of the process: the trace id, new on every invoke, would grow a warm
// process without bound. So process.env becomes a plain copy of the environment, which
// child processes inherit as before, behind a proxy that writes every variable but the
// trace id through to the real environment too (coerced to a string, with its side
// effects, such as a new TZ, as before).

const TRACE_ENV = '_X_AMZN_TRACE_ID';
let envCopy;

function detachEnv() {
  const real = process.env;
  envCopy = Object.assign({}, real);
  // Every operation but on the trace id goes to the real environment first, which
  // coerces and validates (and throws) as process.env always does.
  process.env = new Proxy(envCopy, {
    set(target, key, value) {
      if (key === TRACE_ENV) {
        target[key] = String(value);
      } else {
        real[key] = value;
        target[key] = real[key];
      }
      return true;
    },
    deleteProperty(target, key) {
      if (key !== TRACE_ENV) delete real[key];
      return Reflect.deleteProperty(target, key);
    },
    defineProperty(target, key, descriptor) {
      let value = String(descriptor.value);
      if (key !== TRACE_ENV) {
        Object.defineProperty(real, key, descriptor);
        value = real[key];
      }
      return Reflect.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
    },
  });
}

// ---------------------------------------------------------------------------------
// Invocation.

let activeInvocation = null; // { id, answered } while a handler runs

function runHandler(handler, event, headers) {
  return new Promise((resolve) => {
    let finished = false;
    let onEmptyLoop = null;
    const finish = (outcome) => {
      if (finished) return;
      finished = true;
      if (onEmptyLoop) process.removeListener('beforeExit', onEmptyLoop);
      resolve(outcome);
    };
    const whenLoopEmpty = (outcome) => {
      if (finished || onEmptyLoop) return;
      onEmptyLoop = () => finish(outcome);
      process.once('beforeExit', onEmptyLoop);
    };
    let context;
    const settle = (err, result, wait) => {
      const outcome = err === undefined || err === null ? { result } : { error: err };
      if (wait && context.callbackWaitsForEmptyEventLoop) whenLoopEmpty(outcome);
      else finish(outcome);
    };
    context = makeContext(headers, settle);
    const callback = (err, result) => settle(err, result, true);
    let returned;
    try {
      returned = handler(event, context, callback);
    } catch (e) {
      finish({ error: e });
      return;
    }
    if (returned && typeof returned.then === 'function') {
      returned.then(
        (result) => finish({ result }),
        (err) => finish({ error: err === undefined || err === null ? new Error(String(err)) : err }),
      );
    } else {
      // No promise: the answer comes from the callback, else null once the loop drains.
      whenLoopEmpty({ result: null });
    }
  });
}

async function invokeOnce(handler, res) {
  const headers = res.headers;
  const id = headers['lambda-runtime-aws-request-id'];
  currentRequestId = id;
  const traceId = headers['lambda-runtime-trace-id'];
  if (traceId) envCopy[TRACE_ENV] = traceId;
  else delete envCopy[TRACE_ENV];
  let event;
  try {
    event = JSON.parse(res.body.toString('utf8'));
  } catch (e) {
    const body = { errorType: 'Runtime.UnmarshalError', errorMessage: `Unable to parse event: ${e.message}`, trace: [], stackTrace: [] };
    console.error('Invoke Error \t' + safeStringify(body));
    await postError(id, body);
    return;
  }
  activeInvocation = { id, answered: false };
  const outcome = await runHandler(handler, event, headers);
  if (activeInvocation.answered) return;
  activeInvocation.answered = true;
  if ('error' in outcome) {
    const body = errorBody(outcome.error);
    console.error('Invoke Error \t' + safeStringify(body));
    await postError(id, body);
    return;
  }
  let payload;
  try {
    payload = JSON.stringify(outcome.result === undefined ? null : outcome.result);
  } catch (e) {
    const body = { errorType: 'Runtime.MarshalError', errorMessage: `Unable to stringify response body: ${e.message}`, trace: [], stackTrace: [] };
    console.error('Invoke Error \t' + safeStringify(body));
    await postError(id, body);
    return;
  }
  await postResponse(id, payload);
}

async function reportUncaught(body) {
  console.error('Uncaught Exception \t' + safeStringify(body));
  try {
    if (activeInvocation && !activeInvocation.answered) {
      activeInvocation.answered = true;
      await postError(activeInvocation.id, body);
    } else if (!activeInvocation) {
      await postInitError(body);
    }
  } finally {
    process.exit(EXIT_ON_UNCAUGHT);
  }
}

async function main() {
  detachEnv();
  patchConsole();
  process.on('uncaughtException', (err) => {
    reportUncaught(errorBody(err));
  });
  process.on('unhandledRejection', (reason) => {
    const body = errorBody(reason);
    body.errorType = 'Runtime.UnhandledPromiseRejection';
    body.errorMessage = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
    reportUncaught(body);
  });
  const spec = process.argv[2] || process.env._HANDLER || '';
  let handler;
  try {
    handler = await loadHandler(spec);
  } catch (e) {
    const body = errorBody(e);
    console.error('Uncaught Exception \t' + safeStringify(body));
    await postInitError(body);
    process.exit(EXIT_ON_UNCAUGHT);
  }
  for (;;) {
    const res = await nextInvocation();
    await invokeOnce(handler, res);
  }
}

main().catch((err) => {
  process.stderr.write(`stratus node runtime: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
