// Voice sessions (InvokeModelWithBidirectionalStream, Amazon Nova Sonic) held by the AWS SDK
// for JavaScript v3 against `eventstream serve`, with its default request handler: HTTP/2
// with prior knowledge (h2c) over an http:// endpoint. One server checks signatures, the
// other takes any request.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import {
  BedrockRuntimeClient,
  InvokeModelWithBidirectionalStreamCommand,
  ModelStreamErrorException,
} from "@aws-sdk/client-bedrock-runtime";

const MODEL = "amazon.nova-sonic-v1:0";
const CREDS = { accessKeyId: "AKIDTEST", secretAccessKey: "s3cr3t" };

let binDir;
const servers = {}; // signed, open: { proc, url, lines }

async function startServe(bin, args) {
  const proc = spawn(bin, ["serve", "-addr", "127.0.0.1:0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const lines = [];
  createInterface({ input: proc.stderr }).on("line", (l) => lines.push(l));
  const first = await new Promise((res, rej) => {
    createInterface({ input: proc.stdout }).once("line", res);
    proc.once("exit", (code) => rej(new Error(`server exited with ${code}`)));
  });
  const m = first.match(/http:\/\/127\.0\.0\.1:\d+/);
  assert.ok(m, `no URL in ${JSON.stringify(first)}`);
  return { proc, url: m[0], lines };
}

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
  servers.signed = await startServe(bin, ["-credentials", `${CREDS.accessKeyId}:${CREDS.secretAccessKey}`]);
  servers.open = await startServe(bin, []);
});

after(async () => {
  for (const s of Object.values(servers)) {
    const exited = new Promise((res) => s.proc.once("exit", res));
    s.proc.kill("SIGTERM");
    await exited;
  }
  if (binDir) rmSync(binDir, { recursive: true, force: true });
});

// A queue of input events that the SDK reads as the request body: the session's input
// ends when the iterator returns, which is how the SDK's callers close a session.
class Input {
  #items = [];
  #wake = null;
  #done = false;
  send(name, body) {
    this.#items.push({ chunk: { bytes: new TextEncoder().encode(JSON.stringify({ event: { [name]: body } })) } });
    this.#wake?.();
  }
  close() {
    this.#done = true;
    this.#wake?.();
  }
  async *[Symbol.asyncIterator]() {
    for (;;) {
      if (this.#items.length) {
        yield this.#items.shift();
      } else if (this.#done) {
        return;
      } else {
        await new Promise((res) => (this.#wake = res));
        this.#wake = null;
      }
    }
  }
}

const P = "p1";
let contentN = 0;

function startSession(input, tools) {
  input.send("sessionStart", { inferenceConfiguration: { maxTokens: 1024, topP: 0.9, temperature: 0.7 } });
  const ps = {
    promptName: P,
    textOutputConfiguration: { mediaType: "text/plain" },
    audioOutputConfiguration: {
      mediaType: "audio/lpcm", sampleRateHertz: 24000, sampleSizeBits: 16, channelCount: 1,
      voiceId: "tiffany", encoding: "base64", audioType: "SPEECH",
    },
  };
  if (tools) {
    ps.toolUseOutputConfiguration = { mediaType: "application/json" };
    ps.toolConfiguration = { tools: tools.map((toolSpec) => ({ toolSpec })) };
  }
  input.send("promptStart", ps);
  sendText(input, "SYSTEM", false, "You are a helpful voice assistant.");
}

function sendText(input, role, interactive, text) {
  const contentName = `c${++contentN}`;
  input.send("contentStart", {
    promptName: P, contentName, type: "TEXT", interactive, role, textInputConfiguration: { mediaType: "text/plain" },
  });
  input.send("textInput", { promptName: P, contentName, content: text });
  input.send("contentEnd", { promptName: P, contentName });
}

function sendAudio(input, audio) {
  const contentName = `c${++contentN}`;
  input.send("contentStart", {
    promptName: P, contentName, type: "AUDIO", interactive: true, role: "USER",
    audioInputConfiguration: {
      mediaType: "audio/lpcm", sampleRateHertz: 16000, sampleSizeBits: 16, channelCount: 1, audioType: "SPEECH", encoding: "base64",
    },
  });
  for (let i = 0; i < audio.length; i += 1024) {
    input.send("audioInput", { promptName: P, contentName, content: audio.subarray(i, i + 1024).toString("base64") });
  }
  input.send("contentEnd", { promptName: P, contentName });
}

function sendToolResult(input, toolUseId, content) {
  const contentName = `c${++contentN}`;
  input.send("contentStart", {
    promptName: P, contentName, interactive: false, type: "TOOL", role: "TOOL",
    toolResultInputConfiguration: { toolUseId, type: "TEXT", textInputConfiguration: { mediaType: "text/plain" } },
  });
  input.send("toolResult", { promptName: P, contentName, content });
  input.send("contentEnd", { promptName: P, contentName });
}

function endSession(input) {
  input.send("promptEnd", { promptName: P });
  input.send("sessionEnd", {});
  input.close();
}

// Reads output events until completionEnd (or a TOOL_USE contentEnd when untilTool).
async function readTurn(events, untilTool = false) {
  const r = { transcript: "", speculative: "", final: "", audio: [], tool: null, stop: null };
  const stage = {};
  for (;;) {
    const { value, done } = await events.next();
    if (done) throw new Error("the stream ended before completionEnd");
    assert.ok(value.chunk, `event ${Object.keys(value)}`);
    const [[name, e]] = Object.entries(JSON.parse(new TextDecoder().decode(value.chunk.bytes)).event);
    if (name === "contentStart") stage[e.contentId] = `${e.role} ${e.additionalModelFields ?? ""}`;
    if (name === "textOutput") {
      const s = stage[e.contentId];
      if (s.startsWith("USER")) r.transcript += e.content;
      else if (s.includes("SPECULATIVE")) r.speculative += e.content;
      else r.final += e.content;
    }
    if (name === "audioOutput") r.audio.push(Buffer.from(e.content, "base64"));
    if (name === "toolUse") r.tool = e;
    if (name === "contentEnd" && untilTool && e.stopReason === "TOOL_USE") return r;
    if (name === "completionEnd") {
      r.stop = e.stopReason;
      r.audio = Buffer.concat(r.audio);
      return r;
    }
  }
}

function client(url, credentials = CREDS) {
  return new BedrockRuntimeClient({ region: "us-east-1", endpoint: url, credentials, maxAttempts: 1 });
}

for (const kind of ["signed", "open"]) {
  test(`a voice session: text, audio and tool turns, closed by ending the input (${kind} server)`, async () => {
    const s = servers[kind];
    const c = client(s.url);
    const input = new Input();
    startSession(input, [{
      name: "getWeather", description: "The weather in a city",
      inputSchema: { json: JSON.stringify({ type: "object", properties: { city: { type: "string" }, days: { type: "integer", minimum: 1 } }, required: ["city", "days"] }) },
    }]);
    sendText(input, "USER", true, "What can you do for me today?");
    // The SDK resolves once the first response frame is in.
    const out = await c.send(new InvokeModelWithBidirectionalStreamCommand({ modelId: MODEL, body: input }));
    const events = out.body[Symbol.asyncIterator]();

    let r = await readTurn(events);
    assert.equal(r.transcript, "What can you do for me today?");
    assert.equal(r.speculative, r.transcript);
    assert.equal(r.final, r.transcript);
    assert.ok(r.audio.length > 0, "a tone");

    const audio = Buffer.alloc(40000);
    for (let i = 0; i < audio.length; i++) audio[i] = (i * 31 + (i >> 8)) & 0xff;
    sendAudio(input, audio);
    r = await readTurn(events);
    assert.ok(r.audio.equals(audio), `audio back: ${r.audio.length} bytes, sent ${audio.length}`);

    sendText(input, "USER", true, "Weather in Oslo? [[mock tool=getWeather]]");
    r = await readTurn(events, true);
    assert.equal(r.tool.toolName, "getWeather");
    const args = JSON.parse(r.tool.content);
    assert.equal(typeof args.city, "string");
    assert.ok(Number.isInteger(args.days) && args.days >= 1, r.tool.content);
    sendToolResult(input, r.tool.toolUseId, "Snow, minus 3 degrees.");
    r = await readTurn(events);
    assert.equal(r.final, "Snow, minus 3 degrees.");

    endSession(input);
    const rest = await events.next();
    assert.ok(rest.done, "the response ends after the input");
    c.destroy();
    // The server saw a clean end: the SDK sent the end frame when the input ended.
    await waitFor(() => s.lines.some((l) => l.includes("InvokeModelWithBidirectionalStream") && l.includes('turns=3') && l.includes('end="end frame"')), s);
    assert.ok(s.lines.every((l) => !l.includes("validationException")), s.lines.join("\n"));
  });
}

test("a mid-session exception is the SDK's typed error", async () => {
  const c = client(servers.signed.url);
  const input = new Input();
  startSession(input);
  sendText(input, "USER", true, "Hello");
  const out = await c.send(new InvokeModelWithBidirectionalStreamCommand({ modelId: MODEL, body: input }));
  const events = out.body[Symbol.asyncIterator]();
  await readTurn(events);
  sendText(input, "USER", true, "Again [[mock exception=modelStreamErrorException after=2 original-status=503]]");
  await assert.rejects(readTurn(events), (err) => {
    assert.ok(err instanceof ModelStreamErrorException, `${err.name}: ${err.message}`);
    assert.equal(err.originalStatusCode, 503);
    return true;
  });
  input.close();
  c.destroy();
});

test("wrong credentials are refused", async () => {
  const c = client(servers.signed.url, { accessKeyId: "AKIDTEST", secretAccessKey: "wrong" });
  const input = new Input();
  startSession(input);
  sendText(input, "USER", true, "Hello");
  await assert.rejects(
    (async () => {
      const out = await c.send(new InvokeModelWithBidirectionalStreamCommand({ modelId: MODEL, body: input }));
      for await (const _ of out.body);
    })(),
    (err) => {
      assert.equal(err.name, "InvalidSignatureException", `${err.name}: ${err.message}`);
      return true;
    },
  );
  input.close();
  c.destroy();
});

async function waitFor(cond, s) {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(cond(), s.lines.join("\n"));
}

test("the README example (voice-example.mjs) runs against the server", () => {
  const out = execFileSync(process.execPath, ["voice-example.mjs"], {
    cwd: import.meta.dirname ?? new URL(".", import.meta.url).pathname,
    env: { ...process.env, BEDROCK_ENDPOINT: servers.signed.url },
    encoding: "utf8",
  });
  assert.match(out, /^USER: Book a table for two\.\nASSISTANT: Book a table for two\.\n\d+ bytes of audio\n$/);
});
