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

// The application's tools, and the tool configuration that describes them.
const TOOLS = {
  get_weather: (input) => `18 °C and sunny in ${input.city}`,
  get_time: (input) => `09:30 in ${input.zone}`,
};
const TOOL_CONFIG = {
  tools: [
    {
      toolSpec: {
        name: "get_weather",
        description: "Current weather in a city",
        inputSchema: { json: { type: "object", properties: { city: { type: "string", examples: ["Paris"] } }, required: ["city"] } },
      },
    },
    {
      toolSpec: {
        name: "get_time",
        inputSchema: { json: { type: "object", properties: { zone: { type: "string", default: "UTC" } }, required: ["zone"] } },
      },
    },
  ],
};

// One ConverseStream turn: the text, the reasoning, the tool calls and the stop reason.
async function converseTurn(c, input) {
  const out = await c.send(new ConverseStreamCommand({ modelId: MODEL, ...input }));
  const turn = { text: "", reasoning: "", signature: "", calls: [], stop: undefined };
  const open = new Map();
  for await (const ev of out.stream) {
    if (ev.contentBlockStart?.start?.toolUse) {
      const { toolUseId, name } = ev.contentBlockStart.start.toolUse;
      open.set(ev.contentBlockStart.contentBlockIndex, { toolUseId, name, json: "" });
    } else if (ev.contentBlockDelta) {
      const { delta, contentBlockIndex } = ev.contentBlockDelta;
      if (delta.text !== undefined) turn.text += delta.text;
      if (delta.toolUse) open.get(contentBlockIndex).json += delta.toolUse.input;
      if (delta.reasoningContent?.text !== undefined) turn.reasoning += delta.reasoningContent.text;
      if (delta.reasoningContent?.signature !== undefined) turn.signature += delta.reasoningContent.signature;
    } else if (ev.contentBlockStop && open.has(ev.contentBlockStop.contentBlockIndex)) {
      const b = open.get(ev.contentBlockStop.contentBlockIndex);
      turn.calls.push({ toolUseId: b.toolUseId, name: b.name, input: JSON.parse(b.json) });
    } else if (ev.messageStop) {
      turn.stop = ev.messageStop.stopReason;
    }
  }
  return turn;
}

test("an agent loop over ConverseStream ends with the tool's output, and the journal has the tool result", async () => {
  const c = client();
  try {
    const messages = [{ role: "user", content: [{ text: "Weather in Paris? [[mock tool=get_weather]]" }] }];
    let final;
    for (let turn = 0; ; turn++) {
      assert.ok(turn < 3, "the loop did not end");
      const out = await converseTurn(c, { messages, toolConfig: TOOL_CONFIG });
      if (out.stop !== "tool_use") {
        assert.equal(out.stop, "end_turn");
        final = out.text;
        break;
      }
      messages.push({ role: "assistant", content: out.calls.map((call) => ({ toolUse: call })) });
      messages.push({
        role: "user",
        content: out.calls.map((call) => ({
          toolResult: { toolUseId: call.toolUseId, content: [{ text: TOOLS[call.name](call.input) }], status: "success" },
        })),
      });
    }
    assert.equal(final, "18 °C and sunny in Paris");

    // The journal over HTTP, filtered by operation and model.
    const res = await fetch(`${baseURL}/_mock/requests?operation=ConverseStream&model=${encodeURIComponent(MODEL)}`);
    assert.equal(res.status, 200);
    const journal = await res.json();
    const sent = journal.map((r) => JSON.parse(r.body)).find((b) => b.messages.length === 3);
    assert.ok(sent, "no request with the tool result in the journal");
    const result = sent.messages[2].content[0].toolResult;
    assert.equal(result.content[0].text, "18 °C and sunny in Paris");
    assert.match(result.toolUseId, /^tooluse_/);
    assert.ok(journal.every((r) => r.operation === "ConverseStream" && r.header.Authorization[0] === "REDACTED"));
  } finally {
    c.destroy();
  }
});

test("extended thinking streams reasoning text and signature before the answer", async () => {
  const c = client();
  try {
    const out = await converseTurn(c, {
      messages: [{ role: "user", content: [{ text: 'Why is the sky blue? [[mock reasoning="Rayleigh scattering."]]' }] }],
      additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 2048 } },
    });
    assert.equal(out.reasoning, "Rayleigh scattering.");
    assert.ok(out.signature.length > 0);
    assert.equal(out.text, "Why is the sky blue?");
  } finally {
    c.destroy();
  }
});

test("parallel tool use, a maxTokens cut and a guardrail intervention", async () => {
  const c = client();
  try {
    let out = await converseTurn(c, {
      messages: [{ role: "user", content: [{ text: "both [[mock tool=get_weather,get_time]]" }] }],
      toolConfig: TOOL_CONFIG,
    });
    assert.equal(out.stop, "tool_use");
    assert.deepEqual(out.calls.map((call) => TOOLS[call.name](call.input)), ["18 °C and sunny in Paris", "09:30 in UTC"]);

    out = await converseTurn(c, {
      messages: [{ role: "user", content: [{ text: "one two three four five six" }] }],
      inferenceConfig: { maxTokens: 2 },
    });
    assert.equal(out.stop, "max_tokens");
    assert.equal(out.text, "one two ");

    out = await converseTurn(c, {
      messages: [{ role: "user", content: [{ text: "forbidden [[mock guardrail=intervened]]" }] }],
      guardrailConfig: { guardrailIdentifier: "gr1abc", guardrailVersion: "1", trace: "enabled" },
    });
    assert.equal(out.stop, "guardrail_intervened");
    assert.equal(out.text, "Sorry, the model cannot answer this question.");
  } finally {
    c.destroy();
  }
});

test("an agent loop over InvokeModelWithResponseStream with Claude's messages ends with the tool's output", async () => {
  const c = client();
  try {
    const tools = [
      { name: "get_time", input_schema: { type: "object", properties: { zone: { type: "string", default: "UTC" } }, required: ["zone"] } },
    ];
    const messages = [{ role: "user", content: "What time is it? [[mock tool=get_time]]" }];
    const decoder = new TextDecoder();
    let final;
    for (let turn = 0; ; turn++) {
      assert.ok(turn < 3, "the loop did not end");
      const out = await c.send(
        new InvokeModelWithResponseStreamCommand({
          modelId: MODEL,
          contentType: "application/json",
          body: JSON.stringify({ anthropic_version: "bedrock-2023-05-31", max_tokens: 1024, messages, tools }),
        }),
      );
      const blocks = [];
      let text = "";
      let stop;
      for await (const ev of out.body) {
        const j = JSON.parse(decoder.decode(ev.chunk.bytes));
        if (j.type === "content_block_start") blocks[j.index] = { ...j.content_block, json: "" };
        if (j.type === "content_block_delta" && j.delta.type === "text_delta") text += j.delta.text;
        if (j.type === "content_block_delta" && j.delta.type === "input_json_delta") blocks[j.index].json += j.delta.partial_json;
        if (j.type === "message_delta") stop = j.delta.stop_reason;
      }
      if (stop !== "tool_use") {
        final = text;
        break;
      }
      const calls = blocks.filter((b) => b.type === "tool_use").map((b) => ({ type: "tool_use", id: b.id, name: b.name, input: JSON.parse(b.json) }));
      messages.push({ role: "assistant", content: calls });
      messages.push({
        role: "user",
        content: calls.map((call) => ({ type: "tool_result", tool_use_id: call.id, content: TOOLS[call.name](call.input) })),
      });
    }
    assert.equal(final, "09:30 in UTC");
  } finally {
    c.destroy();
  }
});
