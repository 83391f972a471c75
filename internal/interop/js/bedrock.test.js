// The AWS SDK for JavaScript v3 against `eventstream serve`. The client keeps its default
// request handler, which in Node speaks HTTP/2: over an http:// endpoint that is HTTP/2 with
// prior knowledge (h2c), which the server log confirms for every request.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import {
  BedrockRuntimeClient,
  InvokeModelWithResponseStreamCommand,
  ConverseStreamCommand,
  ThrottlingException,
} from "@aws-sdk/client-bedrock-runtime";

const MODEL = "anthropic.claude-3-haiku-20240307-v1:0";
const CREDS = { accessKeyId: "AKIDTEST", secretAccessKey: "s3cr3t" };

let server;
let baseURL;
let stderrLines = [];
let binDir;

// Start the server as a user would: build the command (or take EVENTSTREAM_BIN), run it with
// -addr 127.0.0.1:0, and read the base URL from the first line of its standard output.
before(async () => {
  let bin = process.env.EVENTSTREAM_BIN;
  if (!bin) {
    binDir = mkdtempSync(join(tmpdir(), "eventstream-js-"));
    bin = join(binDir, "eventstream");
    execFileSync("go", ["build", "-o", bin, "./cmd/eventstream"], {
      cwd: resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../.."),
      stdio: "inherit",
    });
  }
  // The credentials come from the environment, as a secret should.
  server = spawn(bin, ["serve", "-addr", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, EVENTSTREAM_CREDENTIALS: `${CREDS.accessKeyId}:${CREDS.secretAccessKey}` },
  });
  createInterface({ input: server.stderr }).on("line", (l) => stderrLines.push(l));
  const first = await new Promise((res, rej) => {
    const rl = createInterface({ input: server.stdout });
    rl.once("line", res);
    server.once("exit", (code) => rej(new Error(`server exited with ${code}`)));
  });
  const m = first.match(/http:\/\/127\.0\.0\.1:\d+/);
  assert.ok(m, `no URL in first line ${JSON.stringify(first)}`);
  baseURL = m[0];
});

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((res) => server.once("exit", (code, signal) => res({ code, signal })));
    server.kill("SIGTERM");
    const { code } = await exited;
    assert.equal(code, 0, "serve exits 0 on SIGTERM");
    assert.ok(stderrLines.some((l) => l.includes("eventstream serve: stopped")));
  }
  if (binDir) rmSync(binDir, { recursive: true, force: true });
});

function client(credentials = CREDS) {
  return new BedrockRuntimeClient({ region: "us-east-1", endpoint: baseURL, credentials, maxAttempts: 1 });
}

function claudeBody(prompt) {
  return JSON.stringify({
    anthropic_version: "bedrock-2023-05-31",
    max_tokens: 512,
    messages: [{ role: "user", content: prompt }],
  });
}

async function invokeStream(c, prompt) {
  const out = await c.send(
    new InvokeModelWithResponseStreamCommand({ modelId: MODEL, contentType: "application/json", body: claudeBody(prompt) }),
  );
  const state = { contentType: out.contentType, text: "", chunks: 0 };
  const decoder = new TextDecoder();
  for await (const ev of out.body) {
    assert.ok(ev.chunk, `unexpected event ${Object.keys(ev)}`);
    state.chunks++;
    const j = JSON.parse(decoder.decode(ev.chunk.bytes));
    if (j.type === "content_block_delta" && j.delta.type === "text_delta") state.text += j.delta.text;
  }
  return state;
}

// The log line of the request for an operation, written when its handler returns, which
// can be a moment after the client has read the end of the stream. It proves the protocol
// the client used.
async function requestLog(operation) {
  const start = stderrLines.length;
  for (let i = 0; i < 100; i++) {
    const line = stderrLines.slice(start).find((l) => l.includes(` ${operation} `));
    if (line) return line;
    await new Promise((res) => setTimeout(res, 20));
  }
  return "";
}

test("InvokeModelWithResponseStream streams the echo over h2c", async () => {
  const c = client();
  try {
    const prompt = 'Stream me back, please: "quotes", ünïcode and a\nnew line.';
    const logged = requestLog("InvokeModelWithResponseStream");
    const got = await invokeStream(c, prompt);
    assert.equal(got.contentType, "application/json");
    assert.equal(got.text, prompt);
    assert.ok(got.chunks >= 5);
    const log = await logged;
    assert.match(log, /status=200/);
    assert.match(log, /proto=HTTP\/2\.0/);
    assert.match(log, new RegExp(`frames=${got.chunks} `));
  } finally {
    c.destroy();
  }
});

test("ConverseStream streams the events in order", async () => {
  const c = client();
  try {
    const prompt = "What is the capital of France? One sentence, please.";
    const logged = requestLog("ConverseStream");
    const out = await c.send(
      new ConverseStreamCommand({ modelId: MODEL, messages: [{ role: "user", content: [{ text: prompt }] }] }),
    );
    const order = [];
    let text = "";
    let usage;
    for await (const ev of out.stream) {
      const [name] = Object.keys(ev).filter((k) => ev[k] !== undefined && k !== "$unknown");
      if (order.at(-1) !== name) order.push(name);
      if (ev.contentBlockDelta) text += ev.contentBlockDelta.delta.text;
      if (ev.messageStop) assert.equal(ev.messageStop.stopReason, "end_turn");
      if (ev.metadata) usage = ev.metadata.usage;
    }
    assert.deepEqual(order, ["messageStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"]);
    assert.equal(text, prompt);
    assert.ok(usage.outputTokens > 0 && usage.totalTokens === usage.inputTokens + usage.outputTokens);
    assert.match(await logged, /proto=HTTP\/2\.0/);
  } finally {
    c.destroy();
  }
});

test("a throttlingException directive gives a typed ThrottlingException after N chunks", async () => {
  const c = client();
  try {
    const out = await c.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: MODEL,
        contentType: "application/json",
        body: claudeBody("one two three four five six seven eight nine ten [[mock exception=throttlingException after=3]]"),
      }),
    );
    let chunks = 0;
    await assert.rejects(
      (async () => {
        for await (const ev of out.body) if (ev.chunk) chunks++;
      })(),
      (err) => {
        assert.ok(err instanceof ThrottlingException, `got ${err?.name}: ${err}`);
        assert.equal(err.name, "ThrottlingException");
        return true;
      },
    );
    assert.equal(chunks, 3);
  } finally {
    c.destroy();
  }
});

test("wrong credentials are refused", async () => {
  const c = client({ accessKeyId: "AKIDTEST", secretAccessKey: "wrong" });
  try {
    await assert.rejects(invokeStream(c, "refused"), (err) => {
      assert.equal(err.name, "InvalidSignatureException");
      assert.equal(err.$metadata.httpStatusCode, 403);
      return true;
    });
  } finally {
    c.destroy();
  }
});

test("session tokens are signed and accepted", async () => {
  const c = client({ ...CREDS, sessionToken: "a-session-token" });
  try {
    const { text } = await invokeStream(c, "with a session token");
    assert.equal(text, "with a session token");
  } finally {
    c.destroy();
  }
});

test("the README example (example.mjs) runs against the server", () => {
  const out = execFileSync(process.execPath, ["example.mjs"], {
    cwd: import.meta.dirname ?? new URL(".", import.meta.url).pathname,
    env: { ...process.env, BEDROCK_ENDPOINT: baseURL },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  assert.equal(out, "Hello, Bedrock!\nthrottled\n");
});
